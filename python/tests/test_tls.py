"""Program.run and psi.intersect over TLS with pinned self-signed certificates (made
with the openssl command; skipped where it is missing)."""

import shutil
import subprocess
import threading

import pytest

import mpc

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def identity(directory, name):
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-subj", f"/CN={name}", "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def certs(tmp_path):
    return {name: identity(tmp_path, name) for name in ("alice", "bob", "mallory")}


def both(auction, addr, bob_tls, alice_tls):
    result = {}

    def bob():
        try:
            result["bob"] = auction.run("bob", {"b": 150}, listen=addr, timeout=30, **bob_tls)
        except mpc.Error as e:
            result["bob"] = e

    t = threading.Thread(target=bob)
    t.start()
    try:
        result["alice"] = auction.run("alice", {"a": 100}, connect=addr, timeout=30, **alice_tls)
    except mpc.Error as e:
        result["alice"] = e
    t.join()
    return result


def tls(certs, me, peer):
    cert, key = certs[me]
    return {"tls_cert": cert, "tls_key": key, "peer_cert": certs[peer][0]}


def test_auction_over_tls(auction, port, certs):
    out = both(auction, f"127.0.0.1:{port}", tls(certs, "bob", "alice"), tls(certs, "alice", "bob"))
    assert out == {"alice": {"alice_wins": False, "price": 100}, "bob": {"alice_wins": False, "price": 100}}


def test_unpinned_peer_is_refused(auction, port, certs):
    out = both(auction, f"127.0.0.1:{port}", tls(certs, "bob", "alice"), tls(certs, "mallory", "bob"))
    assert isinstance(out["bob"], mpc.ChannelError), out
    assert isinstance(out["alice"], mpc.ChannelError), out


def test_psi_over_tls(port, certs):
    addr = f"127.0.0.1:{port}"
    got = {}
    t = threading.Thread(target=lambda: got.update(l=mpc.psi.intersect(["x", "y"], listen=addr, **tls(certs, "bob", "alice"))))
    t.start()
    got["c"] = mpc.psi.intersect(["y", "z"], connect=addr, **tls(certs, "alice", "bob"))
    t.join()
    assert got == {"l": ["y"], "c": ["y"]}


def test_bad_tls_files(auction, tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(mpc.ChannelError, match="cannot use the TLS files"):
        auction.run("alice", {"a": 1}, connect="127.0.0.1:1", tls_cert=bogus, tls_key=bogus, peer_cert=bogus)
    with pytest.raises(mpc.ChannelError, match="cannot read"):
        auction.run("alice", {"a": 1}, connect="127.0.0.1:1", tls_cert=tmp_path / "none", tls_key=bogus,
                    peer_cert=bogus)
