#!/usr/bin/env bash
# Issue #12 ("Programs of any size"): compile time and memory against AND count, two-party
# run memory and AND/s, the program form against the unrolled Bristol circuit at 10^7 AND,
# edit distance and median. Every run's outputs are checked against Python.
#
# Usage: bash benches/program_form.sh            (REPS=3 by default)
#   REPS=5            repetitions (interleaved: rep outer, cases inner); medians reported
#   SKIP_BIG=1        skip the 10^8-AND and 10^9-AND (matrix product, ~45 s) runs
#   SKIP_UNROLLED=1   skip the unrolled 10^7-AND comparison (writes a 1.17 GB Bristol file)
#   SKIP_RUNS=1       only the compile table
#   OUT=/some/dir     where inputs, logs and results.tsv go (default /tmp/mpc-program-form)
# Needs python3, /usr/bin/time, ~2.5 GB free in $OUT for the unrolled file.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
SKIP_BIG=${SKIP_BIG:-0}
SKIP_UNROLLED=${SKIP_UNROLLED:-0}
OUT=${OUT:-/tmp/mpc-program-form}
mkdir -p "$OUT"
TSV="$OUT/results.tsv"
: > "$TSV"
rm -f "$OUT/notes.txt"
PY="python3 benches/program_form.py"
P=benches/programs
M=target/release/mpc

cargo build --release -p mpc
echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null || echo "(not a git checkout)") $(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "(tree modified)") loadavg: $(cat /proc/loadavg)"
$PY gen "$OUT"
load() { cut -d' ' -f1 /proc/loadavg; }

# ---- 1. compile time and peak memory against AND count ----
COMPILE="mac_1 mac_10 mac_100 mac_1000 mac_10000 matmul100 matmul215 edit median"
for rep in $(seq "$REPS"); do
    for p in $COMPILE; do
        l=$(load)
        /usr/bin/time -f "%e %M %U %S" -o "$OUT/tc" $M compile "$P/$p.mpc" --stats --json > "$OUT/sc"
        $PY compile-row "$p" "$OUT/sc" "$OUT/tc" "$l" | tee -a "$TSV"
    done
done

if [ "${SKIP_RUNS:-0}" = 1 ]; then $PY table "$TSV"; exit 0; fi

# ---- two processes over loopback: alice listens (garbler), bob connects ----
port=$((7600 + RANDOM % 200))
pair() { # label prog input-name-prefix expected
    local label=$1 prog=$2 in=$3 exp=$4 l pid
    port=$((port + 1))
    l=$(load)
    /usr/bin/time -f "%e %M %U %S" -o "$OUT/ta" $M run "$prog" --party alice --listen "127.0.0.1:$port" \
        --input "a=$(cat "$OUT/in/${in}_a.txt")" --stats --json -q > "$OUT/oa" 2> "$OUT/ea" &
    pid=$!
    sleep 0.3
    /usr/bin/time -f "%e %M %U %S" -o "$OUT/tb" $M run "$prog" --party bob --connect "127.0.0.1:$port" \
        --input "b=$(cat "$OUT/in/${in}_b.txt")" --stats --json -q > "$OUT/ob" 2> "$OUT/eb" || true
    wait "$pid" || true
    $PY run-row "$label" "$OUT" "$OUT/in/$exp.expected" "$l" | tee -a "$TSV"
}

# ---- 3. the 10^7-AND multiply-accumulate: program form against the unrolled circuit ----
if [ "$SKIP_UNROLLED" != 1 ]; then
    l=$(load)
    /usr/bin/time -f "%e %M" -o "$OUT/tu" $M compile "$P/mac_10.mpc" -o "$OUT/mac_10.txt" -q
    echo "unrolled write: $(cat "$OUT/tu") (s KB), load $l, $(stat -c %s "$OUT/mac_10.txt") bytes" | tee -a "$OUT/notes.txt"
fi

# ---- 2 + 3 + 4: runs, interleaved ----
for rep in $(seq "$REPS"); do
    pair "mac_1 (program)" "$P/mac_1.mpc" mac mac_1
    pair "mac_10 (program)" "$P/mac_10.mpc" mac mac_10
    if [ "$SKIP_UNROLLED" != 1 ]; then pair "mac_10 (unrolled Bristol)" "$OUT/mac_10.txt" mac mac_10; fi
    pair "edit 1024x1024" "$P/edit.mpc" edit edit
    pair "median of 4096" "$P/median.mpc" median median
    if [ "$SKIP_BIG" != 1 ]; then
        pair "mac_100 (program)" "$P/mac_100.mpc" mac mac_100
    fi
done
if [ "$SKIP_BIG" != 1 ]; then
    pair "matmul100 (program)" "$P/matmul100.mpc" matmul100 matmul100
fi

echo "== $(date -u) loadavg: $(cat /proc/loadavg)"
$PY table "$TSV"
if [ -f "$OUT/notes.txt" ]; then cat "$OUT/notes.txt"; fi
