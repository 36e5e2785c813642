"""The auction between two Python processes over loopback TCP (mpc.Program.run)."""

import json
import subprocess
import sys
import threading

import mpc
from conftest import AUCTION, EXAMPLES

# One party in its own interpreter: prints its outputs as JSON.
PARTY = """
import json, sys, mpc
p = mpc.load(sys.argv[1])
party, mode, addr, name, value = sys.argv[2:7]
out = p.run(party, {name: int(value)}, timeout=60, **{mode: addr})
print(json.dumps(out))
"""


def party(args):
    return subprocess.Popen(
        [sys.executable, "-c", PARTY, str(EXAMPLES / "auction.mpc"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_auction_two_processes(port):
    addr = f"127.0.0.1:{port}"
    bob = party(["bob", "listen", addr, "b", "150"])
    alice = party(["alice", "connect", addr, "a", "100"])
    outs = []
    for proc in (alice, bob):
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outs.append(json.loads(stdout))
    assert outs == [{"alice_wins": False, "price": 100}] * 2


def test_only_revealed_outputs(port):
    # Bob alone sees `bob_only`; each process runs in a thread here (the GIL is
    # released while the protocol runs, so both make progress).
    p = mpc.compile(
        """party alice; party bob;
        fn main(a: i8 @alice, b: i8 @bob) -> (sum: i16, bob_only: bool @bob) { (a as i16 + b as i16, a < b) }"""
    )
    addr = f"127.0.0.1:{port}"
    result = {}

    def bob():
        result["bob"] = p.run("bob", {"b": -100}, listen=addr, timeout=60)

    t = threading.Thread(target=bob)
    t.start()
    alice = p.run("alice", {"a": -100}, connect=addr, timeout=60)
    t.join()
    assert alice == {"sum": -200}
    assert result["bob"] == {"sum": -200, "bob_only": False}


def test_peer_with_another_program_is_refused(port):
    other = mpc.compile(AUCTION.replace("a > b", "a >= b"))
    addr = f"127.0.0.1:{port}"
    errors = []

    def bob():
        try:
            other.run("bob", {"b": 1}, listen=addr, timeout=60)
        except mpc.Error as e:
            errors.append(e)

    t = threading.Thread(target=bob)
    t.start()
    try:
        mpc.compile(AUCTION).run("alice", {"a": 1}, connect=addr, timeout=60)
        raise AssertionError("the run should have been refused")
    except mpc.ProtocolError:
        pass
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], mpc.ProtocolError)


def test_notebook_example_runs():
    example = EXAMPLES.parent / "python" / "examples" / "auction.py"
    out = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "alice sees {'alice_wins': False, 'price': 100} and bob sees" in out.stdout
    assert "InputError: input `a`: value 4294967296 does not fit in u32" in out.stdout
