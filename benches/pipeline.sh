#!/usr/bin/env bash
# Issue #16: the pipeline between two processes. `mpc run` both sides over loopback TCP
# on the 10^7-AND programs (benches/programs/layered.mpc: 9,766 layers of 1,024 AND;
# mac_10.mpc: 10 passes of a 1,024-element u32 multiply-accumulate), interleaved
# repetitions, bob's --stats session time and AND/s, both processes' CPU (user+sys),
# the load average, and both outputs compared with each other and with the expected
# value where known. Then `mpc bench --json` (kernels, pipeline_and_per_s, setup keys).
#
# Usage: bash benches/pipeline.sh           (REPS=5)
#   MPC=path      binary (default target/release/mpc, built first)
#   RT=1          run every measured process under `chrt -f 50` (real-time priority;
#                 root only): on a machine shared with other builds this measures the
#                 code rather than its share of the CPU. Say so when quoting numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
M=${MPC:-target/release/mpc}
if [ -z "${MPC:-}" ]; then cargo build --release -p mpc; fi
PRE=""
if [ "${RT:-0}" = 1 ]; then PRE="timeout 120 chrt -f 50"; fi
T=$(mktemp -d)
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
    $PRE /usr/bin/time -f "%U+%S" -o "$T/ta" "$M" run "$2" --party alice --listen "127.0.0.1:$port" \
        --input "a=$(cat "$3")" --stats --json -q > "$T/oa" 2> "$T/ea" &
    local pid=$!
    $PRE /usr/bin/time -f "%U+%S" -o "$T/tb" "$M" run "$2" --party bob --connect "127.0.0.1:$port" \
        --input "b=$(cat "$4")" --stats --json -q > "$T/ob" 2> "$T/eb"
    wait "$pid"
    local same=differ
    cmp -s "$T/oa" "$T/ob" && same=same
    printf '%s\tload %s\t%s\t%s\tcpu alice %s bob %s\toutputs %s\n' "$1" "$(cut -d' ' -f1 /proc/loadavg)" \
        "$(grep -o '^bob: [0-9.]* ms' "$T/eb")" "$(grep -o '[0-9.]*M AND/s' "$T/eb")" \
        "$(cat "$T/ta")" "$(cat "$T/tb")" "$same"
}
for rep in $(seq "$REPS"); do
    pair layered benches/programs/layered.mpc "$T/la.txt" "$T/lb.txt"
    pair mac_10 benches/programs/mac_10.mpc "$T/ma.txt" "$T/mb.txt"
done
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
a = eval(open(f"{t}/ma.txt").read()); b = eval(open(f"{t}/mb.txt").read())
print("mac_10 expected s =", sum(x * y for x, y in zip(a, b)) * 10 % 2**32, "got", open(f"{t}/ob").read().strip())
PY
$PRE "$M" bench --json
rm -rf "$T"
