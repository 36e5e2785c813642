#!/usr/bin/env bash
# PSI at scale: two `mpc psi` processes over loopback TCP (--insecure), n random items
# per side with 1,000 in common, KKRT16 (--protocol kkrt) at 2^16, 2^20 and 2^22 per
# side, ECDH at 2^16 (and at 2^20 with MPC_PSI_ECDH_LARGE=1, about 2 minutes a run).
# Each run is checked: both outputs equal the plaintext intersection. Reports, per
# party, the median wall time, CPU time (user + sys), peak RSS (/usr/bin/time -v) and
# bytes sent (`mpc psi --stats`). Not part of CI.
#
# Usage: bash benches/psi.sh [RUNS]     (default 5 runs per size; 3 at 2^22)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
work="${TMPDIR:-/tmp}/mpc-psi-bench"
mkdir -p "$work"
cargo build --release -q -p mpc
mpc="$PWD/target/release/mpc"

gen() { # gen LOG2 -> $work/a$1.txt, b$1.txt, want$1.txt (16 hex digits an item)
    [ -f "$work/want$1.txt" ] && return
    python3 - "$1" "$work" <<'PY'
import os, random, sys
k, work = int(sys.argv[1]), sys.argv[2]
n = 1 << k
common = {os.urandom(8).hex() for _ in range(1000)}
def side():
    s = set(common)
    while len(s) < n:
        s.add(os.urandom(8).hex())
    v = list(s); random.shuffle(v); return v
a, b = side(), side()
want = sorted(set(a) & set(b))
for name, items in (("a", a), ("b", b), ("want", want)):
    with open(f"{work}/{name}{k}.txt", "w") as f:
        f.write("\n".join(items) + "\n")
PY
}

one_run() { # one_run PROTOCOL LOG2 -> appends "wall cpu rss sent" per party to $work/res
    local proto=$1 k=$2 port=$((20000 + RANDOM % 30000))
    /usr/bin/time -v "$mpc" psi --party a --listen 127.0.0.1:$port --set "$work/a$k.txt" \
        --protocol "$proto" --insecure --stats --timeout 600 >"$work/out_a" 2>"$work/err_a" &
    local pa=$!
    /usr/bin/time -v "$mpc" psi --party b --connect 127.0.0.1:$port --set "$work/b$k.txt" \
        --protocol "$proto" --insecure --stats --timeout 600 >"$work/out_b" 2>"$work/err_b"
    wait $pa
    cmp -s "$work/out_a" "$work/want$k.txt" && cmp -s "$work/out_b" "$work/want$k.txt" \
        || { echo "WRONG RESULT ($proto 2^$k)"; exit 1; }
    for p in a b; do
        python3 - "$work/err_$p" >>"$work/res_$p" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def f(pat): return re.search(pat, t).group(1)
w = f(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)").split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
cpu = float(f(r"User time \(seconds\): (\S+)")) + float(f(r"System time \(seconds\): (\S+)"))
print(wall, cpu, int(f(r"Maximum resident set size \(kbytes\): (\d+)")), f(r"sent (\d+) bytes"))
PY
    done
}

report() { # report PROTOCOL LOG2
    python3 - "$1" "$2" "$work/res_a" "$work/res_b" <<'PY'
import statistics as st, sys
proto, k = sys.argv[1], sys.argv[2]
for party, path in (("listener", sys.argv[3]), ("connector", sys.argv[4])):
    rows = [l.split() for l in open(path)]
    wall = st.median(float(r[0]) for r in rows); cpu = st.median(float(r[1]) for r in rows)
    rss = max(int(r[2]) for r in rows) / 1024; sent = int(rows[0][3])
    print(f"| {proto} | 2^{k} | {party} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MB | {sent/1e6:.1f} MB | {len(rows)} |")
PY
}

echo "== $(date -u) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) =="
echo "| protocol | n per side | party | wall (median) | CPU user+sys (median) | peak RSS | sent | runs |"
echo "|---|---|---|---|---|---|---|---|"
bench() { # bench PROTOCOL LOG2 RUNS
    gen "$2"
    rm -f "$work/res_a" "$work/res_b"
    echo "   (loadavg before $1 2^$2: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    for _ in $(seq "$3"); do one_run "$1" "$2"; done
    report "$1" "$2"
}
bench kkrt 16 "$runs"
bench ecdh 16 3
bench kkrt 20 "$runs"
bench kkrt 22 "$(( runs < 3 ? runs : 3 ))"
if [ "${MPC_PSI_ECDH_LARGE:-0}" = 1 ]; then bench ecdh 20 1; fi
echo "== $(date -u) loadavg: $(cat /proc/loadavg) =="
echo "For comparison (not re-run here): RR22 (Raghuraman-Rindal, CCS 2022) table, 2^20 per"
echo "side, one thread, LAN: KKRT16 2.07 s, VOLE-PSI 0.37 s; popsicle PSZ (swanky) 2.36 s"
echo "as measured on this machine by issue 17 (one process, Unix socket pair)."
