"""Every failure is an mpc.Error subclass carrying the CLI's sentence."""

import pytest

import mpc


def test_hierarchy():
    for cls in (mpc.CompileError, mpc.LoadError, mpc.InputError, mpc.ProtocolError, mpc.ShamirError,
                mpc.PaillierError, mpc.PsiError):
        assert issubclass(cls, mpc.Error)
    assert issubclass(mpc.ChannelError, mpc.ProtocolError)
    assert issubclass(mpc.Error, Exception)


def test_compile_error_has_diagnostics():
    with pytest.raises(mpc.CompileError) as e:
        mpc.compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x + zz }")
    msg = str(e.value)
    assert msg.startswith("the program does not compile")
    assert "zz" in msg


def test_load_errors(tmp_path):
    with pytest.raises(mpc.LoadError, match="cannot read"):
        mpc.load(tmp_path / "missing.mpc")
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a circuit\n")
    with pytest.raises(mpc.LoadError, match="is not a valid Bristol circuit"):
        mpc.load(bad)


def test_out_of_range_is_the_cli_sentence(auction):
    with pytest.raises(mpc.InputError) as e:
        auction.eval({"a": 2**32, "b": 1})
    assert str(e.value) == "input `a`: value 4294967296 does not fit in u32"
    with pytest.raises(mpc.InputError, match="does not fit"):
        auction.eval({"a": -1, "b": 1})


def test_wrong_types(auction):
    with pytest.raises(mpc.InputError, match="got a bool"):
        auction.eval({"a": True, "b": 1})
    with pytest.raises(mpc.InputError, match="expected an integer"):
        auction.eval({"a": 1.5, "b": 1})
    with pytest.raises(mpc.InputError, match="expected an integer"):
        auction.eval({"a": "12", "b": 1})
    with pytest.raises(mpc.InputError, match="input names must be strings"):
        auction.eval({1: 1, "b": 1})


def test_unknown_missing_and_wrong_party(auction):
    with pytest.raises(mpc.InputError, match="no input named `c`"):
        auction.eval({"a": 1, "b": 1, "c": 3})
    with pytest.raises(mpc.InputError, match="missing input `b`"):
        auction.local({"a": 1})
    with pytest.raises(mpc.InputError, match="belongs to party bob"):
        auction.run("alice", {"a": 1, "b": 2}, connect="127.0.0.1:1", timeout=1)
    with pytest.raises(mpc.InputError, match="no party `carol`"):
        auction.run("carol", {}, connect="127.0.0.1:1", timeout=1)


def test_array_and_struct_shapes():
    p = mpc.compile(
        """party a; party b; struct P { x: u8, y: u8 }
        fn main(xs: [u8; 2] @a, p: P @b) -> u8 { xs[0] + p.x }"""
    )
    with pytest.raises(mpc.InputError, match=r"expected 2 elements"):
        p.eval({"xs": [1, 2, 3], "p": {"x": 1, "y": 2}})
    with pytest.raises(mpc.InputError, match=r"`xs\[1\]`: value 256 does not fit in u8"):
        p.eval({"xs": [1, 256], "p": {"x": 1, "y": 2}})
    with pytest.raises(mpc.InputError, match="missing field `y`"):
        p.eval({"xs": [1, 2], "p": {"x": 1}})
    with pytest.raises(mpc.InputError, match="has no field 'z'"):
        p.eval({"xs": [1, 2], "p": {"x": 1, "y": 2, "z": 3}})
    with pytest.raises(mpc.InputError, match="expected a sequence"):
        p.eval({"xs": "ab", "p": {"x": 1, "y": 2}})


def test_run_arguments(auction):
    with pytest.raises(mpc.InputError, match="exactly one of listen"):
        auction.run("alice", {"a": 1})
    with pytest.raises(mpc.InputError, match="exactly one of listen"):
        auction.run("alice", {"a": 1}, listen="127.0.0.1:0", connect="127.0.0.1:1")
    with pytest.raises(mpc.InputError, match="timeout must be"):
        auction.run("alice", {"a": 1}, connect="127.0.0.1:1", timeout=0)
    with pytest.raises(mpc.InputError, match="all three"):
        auction.run("alice", {"a": 1}, connect="127.0.0.1:1", tls_cert="x.pem")


def test_no_peer_is_a_channel_error(auction, port):
    with pytest.raises(mpc.ChannelError, match="could not connect"):
        auction.run("alice", {"a": 1}, connect=f"127.0.0.1:{port}", timeout=0.3)
    with pytest.raises(mpc.ChannelError, match="no peer connected"):
        auction.run("alice", {"a": 1}, listen=f"127.0.0.1:{port}", timeout=0.3)
