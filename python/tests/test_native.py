"""Shamir, Paillier and PSI round trips and their errors."""

import itertools
import threading

import pytest

import mpc
from mpc import paillier, psi, shamir


def test_shamir_round_trip():
    secret = b"attack at dawn \x00\xff"
    shares = shamir.split(secret, threshold=3, shares=5)
    assert len(shares) == 5 and all(s.startswith("mpcss1-") for s in shares)
    for subset in itertools.combinations(shares, 3):
        assert shamir.combine(list(subset)) == secret
    assert shamir.combine(shares) == secret  # extra shares are checked, not ignored
    assert mpc.shamir is shamir


def test_shamir_errors():
    shares = shamir.split(b"secret", threshold=3, shares=5)
    with pytest.raises(mpc.ShamirError):
        shamir.combine(shares[:2])
    with pytest.raises(mpc.ShamirError, match="threshold"):
        shamir.split(b"x", threshold=6, shares=5)
    other = shamir.split(b"secret", threshold=3, shares=5)
    with pytest.raises(mpc.ShamirError):
        shamir.combine([shares[0], shares[1], other[2]])
    corrupt = shares[0][:-1] + ("0" if shares[0][-1] != "0" else "1")
    with pytest.raises(mpc.ShamirError, match="share 0"):
        shamir.combine([corrupt, shares[1], shares[2]])


@pytest.fixture(scope="module")
def keys():
    return paillier.keygen(2048)


def test_paillier_round_trip(keys):
    pk, sk = keys
    assert pk.bits == 2048 and pk.n.bit_length() == 2048
    assert sk.public_key == pk
    a, b = paillier.encrypt(pk, 12345), paillier.encrypt(pk, 2**200)
    assert paillier.decrypt(sk, paillier.add(pk, a, b)) == 12345 + 2**200
    assert paillier.decrypt(sk, pk.mul(a, 3)) == 3 * 12345
    neg = pk.encrypt(-7)
    assert sk.decrypt(neg, signed=True) == -7
    assert sk.decrypt(neg) == pk.n - 7
    assert sk.decrypt(pk.add(neg, a), signed=True) == 12338
    assert pk.encrypt(5) != pk.encrypt(5)  # randomised


def test_paillier_serialisation(keys):
    pk, sk = keys
    c = pk.encrypt(99)
    assert paillier.PublicKey.from_json(pk.to_json()) == pk
    sk2 = paillier.SecretKey.from_json(sk.to_json())
    assert sk2.decrypt(pk.ciphertext(c.to_bytes())) == 99
    assert bytes(c) == c.to_bytes()


def test_paillier_errors(keys):
    pk, sk = keys
    with pytest.raises(mpc.PaillierError, match="not below the modulus"):
        pk.encrypt(pk.n)
    with pytest.raises(mpc.PaillierError, match="-n/2"):
        pk.encrypt(-pk.n)
    with pytest.raises(mpc.PaillierError, match="must be an int"):
        pk.encrypt("5")
    with pytest.raises(mpc.PaillierError, match="too small"):
        paillier.keygen(1024)
    with pytest.raises(mpc.PaillierError):
        pk.ciphertext(b"\x00")
    with pytest.raises(mpc.PaillierError, match="malformed key JSON"):
        paillier.PublicKey.from_json("{}")


def test_psi_local_modes():
    a = ["alice@x", "bob@x", "carol@x", "bob@x"]
    b = ["dave@x", "carol@x", "bob@x"]
    assert psi.intersect_local(a, b) == (["bob@x", "carol@x"], ["bob@x", "carol@x"])
    assert psi.intersect_local(a, b, mode="cardinality") == (2, 2)
    assert psi.intersect_local(a, b, mode="listener-only") == (["bob@x", "carol@x"], None)
    assert psi.intersect_local([b"\x00\x01", b"z"], [b"z"]) == ([b"z"], [b"z"])
    assert psi.intersect_local(a, ["nobody"]) == ([], [])
    with pytest.raises(mpc.InputError, match="unknown PSI mode"):
        psi.intersect_local(a, b, mode="all")
    with pytest.raises(mpc.InputError, match="item 0"):
        psi.intersect_local([1], b)
    with pytest.raises(mpc.PsiError, match="bytes long"):
        psi.intersect_local([b"x" * 5000], b)


def test_psi_over_tcp(port):
    addr = f"127.0.0.1:{port}"
    got = {}

    def listener():
        got["l"] = psi.intersect(range_items(0, 100), listen=addr, timeout=60, insecure=True)

    t = threading.Thread(target=listener)
    t.start()
    got["c"] = psi.intersect(range_items(50, 150), connect=addr, timeout=60, insecure=True)
    t.join()
    want = sorted(range_items(50, 100))
    assert got == {"l": want, "c": want}


def test_psi_plain_tcp_needs_insecure(port):
    with pytest.raises(mpc.InputError, match="insecure=True"):
        psi.intersect(["a"], connect=f"127.0.0.1:{port}", timeout=1)


def range_items(lo, hi):
    return [f"item-{i}" for i in range(lo, hi)]
