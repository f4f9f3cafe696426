#!/usr/bin/env bash
# Where one request's instructions go in a whole server: the `emulator` binary (or
# another emulator binary, or the ceiling) runs under callgrind; loadgen sends W
# requests of OP (200 unless --warm) on C connections (1 unless --concurrency) to warm
# it up, the counters are zeroed, N more requests are sent and the profile is dumped.
# Prints instructions a request and the functions with the most of their own; the
# profile stays in target/profile/ for scripts/callgrind_report.py (callees, callers)
# or callgrind_annotate.
#
#   bash scripts/profile.sh [--requests N] [--top K] [--warm W] [--concurrency C] [--cache] \
#       OP [BINARY | ceiling | floor]
#   python3 scripts/callgrind_report.py target/profile/OP.callgrind N callees 'handle_on'
#
# --cache also simulates the caches (callgrind's --cache-sim, with this host family's
# per-core sizes: 32 KiB L1i and L1d, a 1 MiB last level standing for the core's L2)
# and ranks functions by last-level misses instead: memory a request touches that an
# earlier request left cold (the log ring's oldest entry, the session table's growth,
# allocator blocks freed long ago). Deterministic, as instruction counts are, where
# perf on this VM has no cache counters. Its warm-up defaults to 2,500 requests, so
# the request log (1,000 entries) is full and wrapping before the counting starts;
# read other events with `callgrind_report.py ... --event D1mr` and the like.
#
# OP: put (1 KiB), delete, assume-role. Under valgrind SHA-256 runs without SHA-NI, so
# the hashing weighs far more here than on the CPU (`sha2::sha256::compress256`).
# scripts/instructions.sh server counts from a cold start (2N less N requests) instead
# of after a warm-up; the two differ by the first requests' one-time work.
# Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

N=1000
TOP=40
WARM=
CONCURRENCY=1
CACHE=()
while [ $# -gt 0 ]; do
    case $1 in
    --requests) N=$2; shift 2 ;;
    --top) TOP=$2; shift 2 ;;
    --warm) WARM=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --cache) CACHE=(--cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,8,64); shift ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "profile: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
OP=${1:-}
SERVER=${2:-target/release-lto/emulator}
case $OP in put | delete | assume-role) ;; *) echo "profile: OP is put, delete or assume-role" >&2; exit 2 ;; esac
case $SERVER in
ceiling | floor) ;;
*) [ -x "$SERVER" ] || { echo "profile: $SERVER is not an executable (options go before OP)" >&2; exit 2; } ;;
esac
[ -n "$WARM" ] || WARM=$([ ${#CACHE[@]} -gt 0 ] && echo 2500 || echo 200)
command -v valgrind >/dev/null || { echo "profile: valgrind is missing" >&2; exit 1; }

cargo build --profile release-lto --locked -q -p emulator --bin emulator --example loadgen --example ceiling
R=target/release-lto
mkdir -p target/profile
OUT=target/profile/$OP.callgrind
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# free_port, wait_port
source scripts/lib.sh
port=$(free_port)
case $SERVER in
ceiling) cmd=("$R/examples/ceiling" "127.0.0.1:$port") ;;
floor) cmd=("$R/examples/ceiling" "127.0.0.1:$port" --floor) ;;
*) cmd=("$SERVER" serve --world scripts/worlds/clients.toml --listen "127.0.0.1:$port" --store memory) ;;
esac
valgrind --tool=callgrind "${CACHE[@]}" --callgrind-out-file="$WORK/cg" "${cmd[@]}" >/dev/null 2>"$WORK/log" &
PID=$!
wait_port "$port" || { echo "profile: the server did not start: $(cat "$WORK/log")" >&2; exit 1; }
extra=()
[ "$OP" = put ] && extra=(--size 1024)
load() {
    "$R/examples/loadgen" run --target "http://127.0.0.1:$port" --op "$OP" "${extra[@]}" \
        --concurrency "$CONCURRENCY" --requests "$1" --duration 600 --json >"$WORK/load.json"
    grep -q '"errors":0' "$WORK/load.json" || { echo "profile: requests failed: $(cat "$WORK/load.json")" >&2; exit 1; }
}
load "$WARM"
callgrind_control -z "$PID" >/dev/null 2>&1
load "$N"
callgrind_control -d "$PID" >/dev/null 2>&1
# `-d` writes the counts since the zeroing to the out file's first numbered dump.
for _ in $(seq 1 50); do [ -s "$WORK/cg.1" ] && break; sleep 0.1; done
kill -INT "$PID" 2>/dev/null || true
sleep 0.5
kill "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=
[ -s "$WORK/cg.1" ] || { echo "profile: callgrind wrote no dump" >&2; exit 1; }
cp "$WORK/cg.1" "$OUT"
echo "$OP, $N requests after $WARM at $CONCURRENCY connection(s) (profile: $OUT):"
if [ ${#CACHE[@]} -gt 0 ]; then
    python3 scripts/callgrind_report.py "$OUT" "$N" self 0
    for event in DLmr DLmw; do
        python3 scripts/callgrind_report.py "$OUT" "$N" self "$TOP" --event "$event"
    done
else
    python3 scripts/callgrind_report.py "$OUT" "$N" self "$TOP"
fi
