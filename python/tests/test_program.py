"""compile, load, stats, eval and local, with every kind of value."""

import pytest

import mpc
from conftest import AUCTION, EXAMPLES


def test_compile_and_stats(auction):
    s = auction.stats()
    # examples/auction.mpc says `ands: 64` (a 32-bit comparison and a 32-bit mux).
    assert s["and_gates"] == 64
    assert s["gates"] >= s["and_gates"]
    assert s["input_bits"] == 64 and s["output_bits"] == 33
    assert auction.parties == ["alice", "bob"]
    assert auction.inputs == [("a", "alice", "u32"), ("b", "bob", "u32")]
    assert auction.outputs == [("alice_wins", "bool", "all"), ("price", "u32", "all")]


def test_load_matches_compile():
    p = mpc.load(str(EXAMPLES / "auction.mpc"))
    assert p.stats() == mpc.compile(AUCTION).stats()
    p = mpc.load(EXAMPLES / "auction.mpc")  # a pathlib.Path works too
    assert p.eval({"a": 1, "b": 2}) == {"alice_wins": False, "price": 1}


@pytest.mark.parametrize(
    "a,b,wins,price", [(100, 150, False, 100), (200, 150, True, 150), (7, 7, False, 7), (2**32 - 1, 0, True, 0)]
)
def test_eval_and_local_agree(auction, a, b, wins, price):
    want = {"alice_wins": wins, "price": price}
    assert auction.eval({"a": a, "b": b}) == want
    assert auction.local({"a": a, "b": b}) == want


def test_output_types_are_python_types(auction):
    out = auction.local({"a": 100, "b": 150})
    assert type(out["alice_wins"]) is bool
    assert type(out["price"]) is int
    assert list(out) == ["alice_wins", "price"]  # program order


def test_signed_and_wide_integers():
    p = mpc.compile(
        """party a; party b;
        fn main(x: i128 @a, y: u128 @b, z: i8 @a) -> (neg: i128, big: u128, small: i16) {
            (x, y, z as i16 - 100)
        }"""
    )
    vals = {"x": -(2**127), "y": 2**128 - 1, "z": -128}
    want = {"neg": -(2**127), "big": 2**128 - 1, "small": -228}
    assert p.eval(vals) == want
    assert p.local(vals) == want


def test_integers_wider_than_128_bits():
    p = mpc.compile("party a; party b; fn main(x: u200 @a, y: u200 @b) -> u200 { x + y }")
    x, y = 2**199 + 12345, 2**198 + 1
    (name,) = [o[0] for o in p.outputs]
    assert p.eval({"x": x, "y": y})[name] == (x + y) % 2**200
    assert p.local({"x": x, "y": y})[name] == (x + y) % 2**200


def test_arrays_structs_tuples():
    p = mpc.compile(
        """party a; party b;
        struct Bid { amount: u16, flag: bool }
        fn main(xs: [u8; 4] @a, bid: Bid @b) -> (total: u16, bigger: [bool; 4], echo: Bid) {
            let mut t: u16 = 0;
            let mut g: [bool; 4] = [false; 4];
            for i in 0..4 {
                t = t + (xs[i] as u16);
                g[i] = (xs[i] as u16) > bid.amount;
            }
            (t, g, bid)
        }"""
    )
    bid = {"amount": 150, "flag": True}
    want = {"total": 10 + 200 + 255 + 0, "bigger": [False, True, True, False], "echo": bid}
    for xs in ([10, 200, 255, 0], (10, 200, 255, 0), bytes([10, 200, 255, 0]), bytearray([10, 200, 255, 0])):
        assert p.eval({"xs": xs, "bid": bid}) == want
    assert p.local({"xs": [10, 200, 255, 0], "bid": bid}) == want


def test_numpy_arrays_if_present():
    np = pytest.importorskip("numpy")
    p = mpc.compile("party a; party b; fn main(xs: [u8; 3] @a, ys: [u8; 3] @b) -> [u8; 3] { xs }")
    (name,) = [o[0] for o in p.outputs]
    out = p.eval({"xs": np.array([1, 2, 3], dtype=np.uint8), "ys": [np.int64(4), 5, 6]})
    assert out[name] == [1, 2, 3]


def test_tuple_output():
    p = mpc.compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> (u8, bool) { (x ^ y, x == y) }")
    out = p.eval({"x": 5, "y": 3})
    assert list(out.values()) == [6, False]


def test_aes_known_answer():
    p = mpc.load(EXAMPLES / "aes.mpc")
    key = 0x000102030405060708090A0B0C0D0E0F
    block = 0x00112233445566778899AABBCCDDEEFF
    out = p.local({"key": key, "block": block})
    assert out == {"ciphertext": 0x69C4E0D86A7B0430D8CDB78070B4C55A}
    assert p.stats()["and_gates"] == 6400
