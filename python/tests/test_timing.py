"""AES-128 through p.local against the CLI's `mpc local examples/aes.mpc`: printed,
never asserted (speed is measured in docs/benchmarks.md, not tested). Run with
`pytest -s` to see the numbers; the CLI binary is `$MPC_BIN`, else the repository's
target/release/mpc; without one the comparison is skipped (a debug CLI would not be a
fair comparison: the wheel is a release build)."""

import os
import statistics
import subprocess
import sys
import time

import pytest

import mpc
from conftest import EXAMPLES, ROOT

KEY = "0x000102030405060708090a0b0c0d0e0f"
BLOCK = "0x00112233445566778899aabbccddeeff"
RUNS = 7


def cli():
    for path in (os.environ.get("MPC_BIN"), ROOT / "target/release/mpc"):
        if path and os.path.exists(path):
            return str(path)
    return None


def median_seconds(f, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def test_aes_local_timing_vs_cli():
    p = mpc.load(EXAMPLES / "aes.mpc")
    inputs = {"key": int(KEY, 16), "block": int(BLOCK, 16)}
    assert p.local(inputs)["ciphertext"] == 0x69C4E0D86A7B0430D8CDB78070B4C55A
    in_process = median_seconds(lambda: p.local(inputs))
    print(f"\np.local(aes128) in process: median {in_process * 1e3:.2f} ms over {RUNS} runs")

    binary = cli()
    if binary is None:
        pytest.skip("no mpc binary to compare with (set MPC_BIN or build target/release/mpc)")
    aes = str(EXAMPLES / "aes.mpc")
    cmd = [binary, "local", aes, "--input", f"key={KEY}", "--input", f"block={BLOCK}", "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "69c4e0d86a7b0430d8cdb78070b4c55a" in out.stdout.lower()
    # Whole processes, same work: start, load (compile) the program, run both parties.
    py = [sys.executable, "-c",
          f"import mpc; mpc.load({aes!r}).local({{'key': {KEY}, 'block': {BLOCK}}})"]
    cli_proc = median_seconds(lambda: subprocess.run(cmd, capture_output=True, check=True))
    py_proc = median_seconds(lambda: subprocess.run(py, capture_output=True, check=True))
    print(f"CLI `{' '.join(cmd[1:3])}` ({binary}): median {cli_proc * 1e3:.2f} ms per process")
    print(f"python -c 'mpc.load(...).local(...)': median {py_proc * 1e3:.2f} ms per process")
    print(f"ratio python / CLI (whole process): {py_proc / cli_proc:.3f}")
