#!/usr/bin/env bash
# PSI at scale: two `mpc psi` processes over loopback TCP (--insecure), n random items
# per side with 1,000 in common, KKRT16 (--protocol kkrt) at 2^16, 2^20 and 2^22 per
# side, ECDH at 2^16 (and at 2^20 with MPC_PSI_ECDH_LARGE=1, about 2 minutes a run),
# and, interleaved run by run with ours on the same files, the peer: popsicle's PSZ
# (swanky, KKRT16-style) as two processes over loopback TCP, plus popsicle's own
# one-process example shape (both parties as threads over a Unix socket pair, random
# 16-byte items, the receiver's set equal to the sender's) for the figure issue 17 quotes.
#
# Each two-process run is checked: every output that should hold the intersection
# equals the plaintext intersection exactly. Reports, per party, the median wall time,
# CPU time (user + sys), peak RSS (/usr/bin/time -v) and bytes sent (`mpc psi --stats`;
# the peer driver prints the same line). Not part of CI.
#
# The peer is not part of this repository and is not built by it: set MPC_PSI_PEER to
# its driver binary (default /work/peers/swanky/target/release/examples/psz_bench;
# docs/benchmarks.md says what it is and how it was built). Without it the popsicle rows
# are skipped with the reason printed.
#
# Usage: bash benches/psi.sh [RUNS] [LOG2 ...]
#        (default 5 runs per size, 3 at 2^22; sizes 16 20 22)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
shift || true
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(16 20 22); fi
work="${TMPDIR:-/tmp}/mpc-psi-bench"
mkdir -p "$work"
cargo build --release -q -p mpc
mpc="$PWD/target/release/mpc"
peer="${MPC_PSI_PEER:-/work/peers/swanky/target/release/examples/psz_bench}"
if [ -x "$peer" ]; then
    peer_ok=1
else
    peer_ok=0
    echo "popsicle: skipped, no peer driver at $peer (set MPC_PSI_PEER; see docs/benchmarks.md)" >&2
fi

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

measure() { # measure ERRFILE -> "wall cpu rss_kb sent" (sent: the "sent N bytes" line, or 0)
    python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def f(pat): return re.search(pat, t).group(1)
w = f(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)").split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
cpu = float(f(r"User time \(seconds\): (\S+)")) + float(f(r"System time \(seconds\): (\S+)"))
m = re.search(r"sent (\d+) bytes", t)
print(wall, cpu, int(f(r"Maximum resident set size \(kbytes\): (\d+)")), m.group(1) if m else 0)
PY
}

# run_pair NAME LOG2 CHECK LISTENER_CMD... -- CONNECTOR_CMD...: runs both under
# /usr/bin/time -v, checks the outputs named by CHECK (a, b or ab) against want, appends
# one line per party to $work/res_NAME_a and res_NAME_b.
run_pair() {
    local name=$1 k=$2 check=$3
    shift 3
    local lcmd=() ccmd=()
    while [ "$1" != "--" ]; do lcmd+=("$1"); shift; done
    shift
    ccmd=("$@")
    /usr/bin/time -v "${lcmd[@]}" >"$work/out_a" 2>"$work/err_a" &
    local pa=$!
    /usr/bin/time -v "${ccmd[@]}" >"$work/out_b" 2>"$work/err_b"
    wait $pa
    for p in a b; do
        if [[ $check == *$p* ]] && ! cmp -s "$work/out_$p" "$work/want$k.txt"; then
            echo "WRONG RESULT ($name 2^$k, party $p)"; exit 1
        fi
    done
    measure "$work/err_a" >>"$work/res_${name}_a"
    measure "$work/err_b" >>"$work/res_${name}_b"
}

run_ours() { # run_ours PROTOCOL LOG2
    local port=$((20000 + RANDOM % 30000))
    run_pair "$1" "$2" ab \
        "$mpc" psi --party a --listen 127.0.0.1:$port --set "$work/a$2.txt" \
        --protocol "$1" --insecure --stats --timeout 600 -- \
        "$mpc" psi --party b --connect 127.0.0.1:$port --set "$work/b$2.txt" \
        --protocol "$1" --insecure --stats --timeout 600
}

run_popsicle() { # run_popsicle LOG2: listener = popsicle sender, connector = its receiver
    local port=$((20000 + RANDOM % 30000))
    run_pair popsicle "$1" b \
        "$peer" listen 127.0.0.1:$port "$work/a$1.txt" -- \
        "$peer" connect 127.0.0.1:$port "$work/b$1.txt"
}

run_popsicle_pair() { # run_popsicle_pair LOG2: popsicle's one-process example shape
    /usr/bin/time -v "$peer" pair "$1" >"$work/out_pair" 2>"$work/err_pair"
    grep -q "^pair 2^$1:" "$work/out_pair" || { echo "popsicle pair 2^$1 failed"; exit 1; }
    local bytes
    bytes=$(sed -n 's/.*s total, \([0-9]*\) bytes both ways/\1/p' "$work/out_pair")
    measure "$work/err_pair" | awk -v b="$bytes" '{print $1, $2, $3, b}' >>"$work/res_popsicle-1proc_a"
}

report() { # report NAME LOG2 ROLE_A ROLE_B
    python3 - "$@" "$work" <<'PY'
import os, statistics as st, sys
name, k, roles, work = sys.argv[1], sys.argv[2], sys.argv[3:5], sys.argv[5]
for party, role in zip("ab", roles):
    path = f"{work}/res_{name}_{party}"
    if not os.path.exists(path):
        continue
    rows = [l.split() for l in open(path)]
    wall = st.median(float(r[0]) for r in rows); cpu = st.median(float(r[1]) for r in rows)
    rss = max(int(r[2]) for r in rows) / 1024; sent = int(rows[0][3])
    print(f"| {name} | 2^{k} | {role} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MB | {sent/1e6:.1f} MB | {len(rows)} |")
PY
}

echo "== $(date -u) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) =="
echo "| protocol | n per side | party | wall (median) | CPU user+sys (median) | peak RSS | sent | runs |"
echo "|---|---|---|---|---|---|---|---|"
bench() { # bench LOG2 RUNS: kkrt and popsicle interleaved run by run
    local k=$1 r=$2
    gen "$k"
    rm -f "$work"/res_*
    echo "   (2^$k: loadavg before: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    for _ in $(seq "$r"); do
        run_ours kkrt "$k"
        if [ $peer_ok = 1 ]; then
            run_popsicle "$k"
            run_popsicle_pair "$k"
        fi
    done
    echo "   (2^$k: loadavg after: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    report kkrt "$k" listener connector
    report popsicle "$k" "listener (PSZ sender)" "connector (PSZ receiver)"
    report popsicle-1proc "$k" "both, one process" -
}
bench_ecdh() { # bench_ecdh LOG2 RUNS
    gen "$1"
    rm -f "$work"/res_*
    for _ in $(seq "$2"); do run_ours ecdh "$1"; done
    report ecdh "$1" listener connector
}
for k in "${sizes[@]}"; do
    if [ "$k" -ge 22 ]; then bench "$k" "$(( runs < 3 ? runs : 3 ))"; else bench "$k" "$runs"; fi
    if [ "$k" = 16 ]; then bench_ecdh 16 3; fi
done
if [ "${MPC_PSI_ECDH_LARGE:-0}" = 1 ]; then bench_ecdh 20 1; fi
echo "== $(date -u) loadavg: $(cat /proc/loadavg) =="
echo "For comparison (not re-run here): RR22 (Raghuraman-Rindal, CCS 2022) table, 2^20 per"
echo "side, one thread, LAN: KKRT16 2.07 s, VOLE-PSI 0.37 s."
