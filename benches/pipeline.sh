#!/usr/bin/env bash
# Issue #16: the pipeline between two processes. `mpc run` both sides over loopback TCP
# on the 10^7-AND programs (benches/programs/layered.mpc: 9,766 layers of 1,024 AND;
# mac_10.mpc: 10 passes of a 1,024-element u32 multiply-accumulate), interleaved
# repetitions, bob's --stats session time and AND/s, both processes' CPU (user+sys),
# the load average, and both outputs compared with each other and with the expected
# value where known. Then `mpc bench --json` (kernels, pipeline_and_per_s, setup keys).
#
# EMP beside us: EMP_SH2PC=path is a driver running layered.mpc's workload (same shape,
# 10,000,384 AND) under emp-sh2pc's semi-honest half-gates over NetIO on loopback, taking
# `PARTY PORT [raw]` (1 = alice, 2 = bob; raw = and_gate/xor_gate on the labels directly,
# otherwise emp's Integer operators) and printing `party P mode M ands N setup_ms S total_ms
# T mand_per_s R output ok|WRONG` (wall time from connect to the revealed output, checked
# against the plaintext result; docs/benchmarks.md says which EMP versions were measured).
# Each repetition runs it in both modes right after our layered pair, the same way (no
# taskset; under RT=1 the same chrt); the AND/s ratio is taken against raw, EMP's faster.
# The peer is not part of this repository and is not built by it; without the variable it
# is skipped.
#
# Usage: bash benches/pipeline.sh           (REPS=5)
#   MPC=path      binary (default target/release/mpc, built first)
#   RT=1          run every measured process under `chrt -f 50` (real-time priority;
#                 root only): on a machine shared with other builds this measures the
#                 code rather than its share of the CPU. Say so when quoting numbers.
#   EMP_SH2PC=path  the emp-sh2pc driver above (optional)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
M=${MPC:-target/release/mpc}
if [ -z "${MPC:-}" ]; then cargo build --release -p mpc; fi
PRE=""
if [ "${RT:-0}" = 1 ]; then PRE="timeout 120 chrt -f 50"; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
EMP=${EMP_SH2PC:-}
if [ -z "$EMP" ]; then
    echo "emp-sh2pc: skipped, EMP_SH2PC is not set (a driver binary taking PARTY PORT; see the header)"
elif [ ! -x "$EMP" ]; then
    echo "emp-sh2pc: skipped, EMP_SH2PC=$EMP is not an executable file"; EMP=""
fi
python3 - "$T" <<'PY'
import random, sys
t = sys.argv[1]
r = random.Random(16)
for name, n in (("la", 32), ("lb", 32), ("ma", 1024), ("mb", 1024)):
    open(f"{t}/{name}.txt", "w").write("[" + ",".join(str(r.getrandbits(32)) for _ in range(n)) + "]")
PY
echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null) loadavg: $(cat /proc/loadavg)"
pair() { # label prog a-file b-file
    local port=$((20000 + RANDOM % 20000))
    $PRE /usr/bin/time -f "%U+%S s %M kB" -o "$T/ta" "$M" run "$2" --party alice --listen "127.0.0.1:$port" \
        --input "a=$(cat "$3")" --stats --json -q > "$T/oa" 2> "$T/ea" &
    local pid=$!
    $PRE /usr/bin/time -f "%U+%S s %M kB" -o "$T/tb" "$M" run "$2" --party bob --connect "127.0.0.1:$port" \
        --input "b=$(cat "$4")" --stats --json -q > "$T/ob" 2> "$T/eb"
    wait "$pid"
    local same=differ
    cmp -s "$T/oa" "$T/ob" && same=same
    local ms rate
    ms=$(grep -o '^bob: [0-9.]* ms' "$T/eb" | grep -o '[0-9.]*' || echo NA)
    rate=$(grep -o '[0-9.]*M AND/s' "$T/eb" | grep -o '^[0-9.]*' || echo NA)
    echo "$1 $ms $rate" >> "$T/log"
    printf '%s\tload %s\tbob: %s ms\t%sM AND/s\tcpu+peak RSS alice %s bob %s\toutputs %s\n' "$1" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$ms" "$rate" "$(cat "$T/ta")" "$(cat "$T/tb")" "$same"
}
emp_pair() { # label [raw]: the emp-sh2pc driver, alice listening, bob connecting (it retries until alice listens)
    local port=$((20000 + RANDOM % 20000))
    $PRE /usr/bin/time -f "%U+%S s %M kB" -o "$T/ta" timeout 120 "$EMP" 1 "$port" ${2:-} > "$T/oa" 2> "$T/ea" &
    local pid=$!
    $PRE /usr/bin/time -f "%U+%S s %M kB" -o "$T/tb" timeout 120 "$EMP" 2 "$port" ${2:-} > "$T/ob" 2> "$T/eb" || true
    wait "$pid" || true
    local ms rate ands
    if ! grep -q 'output ok' "$T/oa" || ! grep -q 'output ok' "$T/ob"; then
        echo "$1: failed or wrong output: alice '$(cat "$T/oa" "$T/ea")' bob '$(cat "$T/ob" "$T/eb")'"
        return
    fi
    ms=$(grep -o 'total_ms [0-9.]*' "$T/ob" | cut -d' ' -f2)
    rate=$(grep -o 'mand_per_s [0-9.]*' "$T/ob" | cut -d' ' -f2)
    ands=$(grep -o 'ands [0-9]*' "$T/ob" | cut -d' ' -f2)
    echo "$1 $ms $rate" >> "$T/log"
    printf '%s\tload %s\tbob: %s ms\t%sM AND/s (%s AND)\tcpu+peak RSS alice %s bob %s\toutputs checked\n' "$1" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$ms" "$rate" "$ands" "$(cat "$T/ta")" "$(cat "$T/tb")"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for rep in $(seq "$REPS"); do
    pair layered benches/programs/layered.mpc "$T/la.txt" "$T/lb.txt"
    if [ -n "$EMP" ]; then emp_pair emp_sh2pc_raw raw; emp_pair emp_sh2pc_integer; fi
    pair mac_10 benches/programs/mac_10.mpc "$T/ma.txt" "$T/mb.txt"
done
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
a = eval(open(f"{t}/ma.txt").read()); b = eval(open(f"{t}/mb.txt").read())
print("mac_10 expected s =", sum(x * y for x, y in zip(a, b)) * 10 % 2**32, "got", open(f"{t}/ob").read().strip())
PY
for k in layered mac_10 emp_sh2pc_raw emp_sh2pc_integer; do
    if grep -q "^$k [0-9]" "$T/log"; then
        echo "median $k: bob $(grep "^$k [0-9]" "$T/log" | cut -d' ' -f2 | median) ms," \
            "$(grep "^$k [0-9]" "$T/log" | cut -d' ' -f3 | median)M AND/s ($(grep -c "^$k [0-9]" "$T/log") runs)"
    fi
done
if grep -q "^emp_sh2pc_raw [0-9]" "$T/log"; then
    python3 - "$T/log" <<'PY'
import statistics, sys
r = {}
for line in open(sys.argv[1]):
    k, _, rate = line.split()
    if rate != "NA":
        r.setdefault(k, []).append(float(rate))
e = statistics.median(r["emp_sh2pc_raw"])
for k in ("layered", "mac_10"):
    if k in r:
        print(f"AND/s ratio {k} / emp_sh2pc_raw (medians): {statistics.median(r[k]) / e:.2f}x (bar: 1.5x)")
PY
fi
$PRE "$M" bench --json
