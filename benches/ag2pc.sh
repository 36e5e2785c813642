#!/usr/bin/env bash
# Issue #13: the malicious mode side by side with emp-ag2pc (WRK17), one core per
# party (taskset), loopback TCP, interleaved repetitions, medians, the load average.
#
#   one-shot AES-128: emp-ag2pc's test_aes (Bristol AES-non-expanded, 6,800 AND) and two
#     `mpc run --security malicious` processes on examples/aes.mpc (FIPS-197 C.1 checked),
#     wall time from starting both processes until both have exited;
#   amortised AES-128 over RUNS (default 100) in one session: emp-ag2pc's AmortizedC2PC
#     (EMP_AG2PC_AMORTIZED, a driver over it taking `PARTY PORT`, RUNS compiled in) and
#     mpc-auth's timing example with --instances.
#
# The peer is not part of this repository and is not built by it: EMP_AG2PC_AES is its
# test_aes binary, EMP_AG2PC_AMORTIZED the amortised driver (docs/benchmarks.md says
# which versions were measured). Without them the script measures mpc alone and says so.
#
# Usage: bash benches/ag2pc.sh            (REPS=5 RUNS=100; RT=1 for `chrt -f 50`)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
RUNS=${RUNS:-100}
M=${MPC:-target/release/mpc}
if [ -z "${MPC:-}" ]; then cargo build -q --release -p mpc; cargo build -q --release -p mpc-auth --example timing; fi
TIMING=target/release/examples/timing
PRE=""
if [ "${RT:-0}" = 1 ]; then PRE="chrt -f 50"; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
AG=${EMP_AG2PC_AES:-/work/peers/emp/emp-ag2pc/build/bin/test_aes}
AM=${EMP_AG2PC_AMORTIZED:-/work/peers/emp/amort/amortized_aes}
[ -x "$AG" ] || echo "emp-ag2pc: skipped, no test_aes at $AG (set EMP_AG2PC_AES)"
[ -x "$AM" ] || echo "emp-ag2pc amortised: skipped, no driver at $AM (set EMP_AG2PC_AMORTIZED)"
ms() { echo "scale=1; ($(date +%s%N) - $1) / 1000000" | bc; }
KEY=0x000102030405060708090a0b0c0d0e0f
BLOCK=0x00112233445566778899aabbccddeeff
WANT=69c4e0d86a7b0430d8cdb78070b4c55a
one_mpc() {
    local port=$((20000 + RANDOM % 20000)) t0; t0=$(date +%s%N)
    $PRE taskset -c 0 "$M" run examples/aes.mpc --party alice --listen "127.0.0.1:$port" --security malicious \
        --quiet --input key=$KEY > "$T/oa" &
    local pid=$!
    $PRE taskset -c 1 "$M" run examples/aes.mpc --party bob --connect "127.0.0.1:$port" --security malicious \
        --quiet --input block=$BLOCK > "$T/ob"
    wait "$pid"
    local t; t=$(ms "$t0")
    grep -qi "$WANT" "$T/ob" || { echo "mpc: wrong ciphertext: $(cat "$T/ob")"; exit 1; }
    echo "$t"
}
one_emp() {
    local port=$((20000 + RANDOM % 20000)) t0; t0=$(date +%s%N)
    $PRE taskset -c 0 "$1" 1 "$port" > /dev/null & local pid=$!
    sleep 0.005
    $PRE taskset -c 1 "$1" 2 "$port" > /dev/null
    wait "$pid"
    ms "$t0"
}
many_mpc() {
    local t0; t0=$(date +%s%N)
    $PRE taskset -c 0,1 "$TIMING" circuits/tests/vectors/bristol/aes_128.txt 1 --instances "$RUNS" > "$T/tm"
    ms "$t0"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "== $(date -u) commit $(git rev-parse --short HEAD) loadavg: $(cat /proc/loadavg) RUNS=$RUNS REPS=$REPS"
for rep in $(seq "$REPS"); do
    echo "mpc_oneshot_ms $(one_mpc) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$T/log"
    if [ -x "$AG" ]; then echo "emp_oneshot_ms $(one_emp "$AG")" | tee -a "$T/log"; fi
    echo "mpc_amortized_total_ms $(many_mpc)" | tee -a "$T/log"
    if [ -x "$AM" ]; then echo "emp_amortized_total_ms $(one_emp "$AM")" | tee -a "$T/log"; fi
done
for k in mpc_oneshot_ms emp_oneshot_ms mpc_amortized_total_ms emp_amortized_total_ms; do
    if grep -q "^$k " "$T/log"; then
        echo "median $k $(grep "^$k " "$T/log" | cut -d' ' -f2 | median)"
    fi
done
echo "(amortized totals include setup; per run = total / $RUNS)"
