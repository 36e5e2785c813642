#!/usr/bin/env bash
# Paillier at n = 2048: this crate against python-paillier (phe + gmpy2), measured in one
# run on the same machine. Not part of CI (it installs packages from PyPI).
#
# Usage: bash benches/paillier_vs_phe.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TMPDIR:-/tmp}/mpc-phe-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet phe gmpy2
fi

echo "== $(date -u) loadavg: $(cat /proc/loadavg) =="
echo "== python-paillier (phe $("$venv/bin/python" -c 'import phe; print(phe.__version__)'), gmpy2) =="
"$venv/bin/python" - <<'PY'
import time, random
from phe import paillier
import phe.util
print("gmpy2 in use:", phe.util.HAVE_GMP)
pk, sk = paillier.generate_paillier_keypair(n_length=2048)
N = 200
vals = [random.randrange(1 << 62) for _ in range(N)]
t = time.perf_counter(); cts = [pk.encrypt(v) for v in vals]; e = (time.perf_counter() - t) / N
t = time.perf_counter(); out = [sk.decrypt(c) for c in cts]; d = (time.perf_counter() - t) / N
assert out == vals
t = time.perf_counter(); s = cts[0]
for c in cts[1:]: s = s + c
a = (time.perf_counter() - t) / (N - 1)
print(f"phe encrypt: {e*1e3:.2f} ms/op ({1/e:.0f} ops/s)")
print(f"phe decrypt: {d*1e3:.2f} ms/op ({1/d:.0f} ops/s)")
print(f"phe add:     {a*1e6:.1f} us/op")
PY

echo "== mpc-native (criterion): decrypt_crt = CRT halves on rayon (wall clock, up to 2 threads);"
echo "   decrypt_crt_1thread = the same on a one-thread pool (per-core cost); phe is single-threaded =="
cargo bench -p mpc-benches --bench paillier -- --warm-up-time 1 --measurement-time 3 \
    'paillier_2048/(encrypt|decrypt|add)' 2>&1 | grep -E "^paillier|time:|thrpt:"
echo "== $(date -u) loadavg: $(cat /proc/loadavg) =="
