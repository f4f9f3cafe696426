#!/usr/bin/env bash
# The benchmarks of issue 6, side by side in one run: a bare hyper server (the
# ceiling), the same server doing only the hashing and HMAC a SigV4-verifying
# server cannot skip (the floor, `ceiling --floor`, throughput rows only), the
# emulator (release-lto build) and moto_server, each on 127.0.0.1 with
# a free port, driven by the same load generator (emulator/examples/loadgen.rs,
# which signs with aws-sigv4). Every figure is taken 3 times (rounds interleave
# the servers, so a noisy neighbour hits all three alike) and the median is
# printed, with the 1-minute load average next to it, as a table with the ratios
# emulator/ceiling and emulator/moto and PASS/MISS against the targets.
#
#   bash scripts/bench.sh                 # about 10 minutes on 2 cores
#   BENCH_SECONDS=2 bash scripts/bench.sh # a quicker, noisier run
#   bash scripts/bench.sh scale           # only the growth curve (below), ~2 minutes
#   bash scripts/bench.sh budget          # only the work budget (below), ~7 minutes
#
# The growth curve: one emulator (memory store) filled with 100-byte objects to
# 10,000, 100,000 and 1,000,000 keys; at each size its resident memory and the
# latency of ListObjectsV2 pages of 1,000 keys and of 1 key, starting at keys
# spread over the bucket (measured by the client: the server's time is less).
#
# The work budget: what a request may cost beyond the floor for a given ratio. The
# floor is run again with `--work-us N` (N microseconds of arithmetic a request,
# N = 1 … 14) beside the ceiling and the emulator, for PutObject 1 KiB and
# AssumeRole at 8 connections, with each server's CPU a request (user + system,
# from /proc/PID/stat). The curve shows the most work a server may add to the
# floor and still keep #19's ratios on this machine, and where the emulator sits.
#
# Needs python3 with moto[server] (`pip install "moto[server]"`). Results go to
# target/bench/ (results.jsonl, table.md, server logs).
set -euo pipefail
cd "$(dirname "$0")/.."

STARTED=$(date +%s)
SECONDS_PER_LOAD="${BENCH_SECONDS:-5}"
ROUNDS="${BENCH_ROUNDS:-3}"
WORLD=scripts/worlds/clients.toml
OUT=target/bench
# Every binary here (the ceiling and the generator too) is built alike, with the
# release-lto profile (Cargo.toml).
R=target/release-lto
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"

ONLY="${1:-all}"
case "$ONLY" in all | scale | budget) ;; *) echo "usage: bash scripts/bench.sh [scale | budget]" >&2; exit 2 ;; esac

[ "$ONLY" != all ] || python3 -c 'import moto.server' 2>/dev/null || {
    echo "bench: moto_server is missing: pip install \"moto[server]\"" >&2
    exit 1
}

echo "== building (release-lto): emulator, loadgen, ceiling, inproc_start"
cargo build --profile release-lto --locked -q -p emulator --bin emulator \
    --example loadgen --example ceiling --example inproc_start

load1() { cut -d' ' -f1 /proc/loadavg; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# free_port, cpu_ticks
source scripts/lib.sh

# Processes this script started, stopped by pid on exit.
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# wait_http PORT PATH: until the server answers.
wait_http() {
    for _ in $(seq 1 300); do
        if python3 - "$1" "$2" <<'EOF' 2>/dev/null; then return 0; fi
import sys, http.client
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
c.request("GET", sys.argv[2]); c.getresponse().read()
EOF
        sleep 0.1
    done
    echo "bench: nothing answers on port $1" >&2
    return 1
}

# start NAME STORE: start a server on a free port; sets PID and PORT.
start() {
    PORT=$(free_port)
    case "$1" in
    ceiling) "$R/examples/ceiling" "127.0.0.1:$PORT" >"$OUT/ceiling.log" 2>&1 & ;;
    floor) "$R/examples/ceiling" "127.0.0.1:$PORT" --floor >"$OUT/floor.log" 2>&1 & ;;
    work-*) "$R/examples/ceiling" "127.0.0.1:$PORT" --floor --work-us "${1#work-}" >"$OUT/$1.log" 2>&1 & ;;
    emulator)
        # Default log level (info, one line per request), as users run it.
        "$R/emulator" serve --world "$WORLD" --listen "127.0.0.1:$PORT" --store "${2:-memory}" \
            >"$OUT/emulator.out" 2>"$OUT/emulator.log" & ;;
    moto) python3 -m moto.server -H 127.0.0.1 -p "$PORT" >"$OUT/moto.log" 2>&1 & ;;
    esac
    PID=$!
    PIDS+=("$PID")
    wait_http "$PORT" "$([ "$1" = emulator ] && echo /_emulator/health || echo /)"
    if [ "$1" = moto ]; then
        # moto starts with no buckets; the emulator's come from its world.
        "$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op create-bucket --requests 1 >/dev/null
    fi
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

record() { echo "$1" >>"$RESULTS"; }

SCENARIOS=(
    "put-1k-c1|--op put --size 1024 --concurrency 1"
    "put-1k-c8|--op put --size 1024 --concurrency 8"
    "put-1k-c64|--op put --size 1024 --concurrency 64"
    "put-1m-c8|--op put --size 1048576 --concurrency 8 --keys 64"
    "delete-c8|--op delete --concurrency 8"
    "assume-role-c8|--op assume-role --concurrency 8"
    "put-64m-c1|--op put --unsigned-payload --size 67108864 --concurrency 1 --keys 4"
    "multipart-64m-c1|--op multipart --size 67108864 --part-size 8388608 --concurrency 1 --keys 4"
)
TARGETS=(ceiling emulator moto)
LOAD_TARGETS=(ceiling floor emulator moto)

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
record "{\"kind\":\"machine\",\"nproc\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\",\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"seconds_per_load\":$SECONDS_PER_LOAD,\"rounds\":$ROUNDS,\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"commit\":\"$(git rev-parse --short HEAD)\"}"

# scale: the growth curve (see the header).
scale() {
    echo "== growth: resident memory and ListObjectsV2 latency at 10k, 100k, 1M objects (memory store, 100-byte bodies)"
    start emulator memory
    local base filled=0 n kib max json
    base=$(rss_kib "$PID")
    for n in 10000 100000 1000000; do
        while [ "$filled" -lt "$n" ]; do
            json=$("$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op put --size 100 --concurrency 8 \
                --keys 10000 --first "$filled" --requests 10000 --duration 300 --prefix scale/ --json)
            if [ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ok"])' "$json")" != 10000 ]; then
                echo "bench: filling the bucket failed: $json" >&2
                exit 1
            fi
            filled=$((filled + 10000))
        done
        sleep 0.5
        kib=$(rss_kib "$PID")
        for max in 1000 1; do
            json=$("$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op list --objects "$n" \
                --max-keys "$max" --keys 64 --concurrency 1 --duration "$SECONDS_PER_LOAD" --prefix scale/ \
                --json --label "emulator/list-$max/$n")
            record "{\"kind\":\"scale\",\"objects\":$n,\"max_keys\":$max,\"key_bytes\":14,\"body_bytes\":100,\"base_kib\":$base,\"rss_kib\":$kib,\"load1\":$(load1),\"result\":$json}"
            printf '   %8d objects  RSS %7d KiB  max-keys=%-4d %s\n' "$n" "$kib" "$max" \
                "$(python3 scripts/bench_report.py --line "$json")"
        done
    done
    stop "$PID"
}

# budget: the work budget (see the header).
budget() {
    local tick round target scenario name args t0 t1 json cpu
    tick=$(getconf CLK_TCK)
    for round in $(seq 1 "$ROUNDS"); do
        echo "== round $round/$ROUNDS: work budget (${SECONDS_PER_LOAD} s per load)"
        for target in ceiling floor work-1 work-2 work-3 work-4 work-6 work-8 work-10 work-12 work-14 emulator; do
            start "$target"
            for scenario in \
                "put-1k-c8|--op put --size 1024 --concurrency 8" \
                "assume-role-c8|--op assume-role --concurrency 8"; do
                name="${scenario%%|*}"
                args="${scenario#*|}"
                t0=$(cpu_ticks "$PID")
                # shellcheck disable=SC2086 # args is a word list on purpose
                json=$("$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" $args \
                    --duration "$SECONDS_PER_LOAD" --json --label "$target/$name")
                t1=$(cpu_ticks "$PID")
                cpu=$(python3 -c 'import json,sys; ok=json.loads(sys.argv[1])["ok"]; print(round((int(sys.argv[3])-int(sys.argv[2]))*1e6/int(sys.argv[4])/max(ok,1), 2))' \
                    "$json" "$t0" "$t1" "$tick")
                record "{\"kind\":\"budget\",\"target\":\"$target\",\"scenario\":\"$name\",\"round\":$round,\"cpu_us\":$cpu,\"load1\":$(load1),\"result\":$json}"
                printf '   %-9s %-15s %s  server CPU %s us a request\n' "$target" "$name" \
                    "$(python3 scripts/bench_report.py --line "$json")" "$cpu"
            done
            stop "$PID"
        done
    done
}

if [ "$ONLY" = budget ]; then
    budget
    record "{\"kind\":\"elapsed\",\"seconds\":$(( $(date +%s) - STARTED ))}"
    python3 scripts/bench_report.py "$RESULTS" | tee "$OUT/table.md"
    exit 0
fi

if [ "$ONLY" = scale ]; then
    scale
    record "{\"kind\":\"elapsed\",\"seconds\":$(( $(date +%s) - STARTED ))}"
    python3 scripts/bench_report.py "$RESULTS" | tee "$OUT/table.md"
    exit 0
fi

for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round/$ROUNDS: throughput (${SECONDS_PER_LOAD} s per load)"
    for target in "${LOAD_TARGETS[@]}"; do
        start "$target"
        for s in "${SCENARIOS[@]}"; do
            name="${s%%|*}"
            args="${s#*|}"
            # shellcheck disable=SC2086 # args is a word list on purpose
            json=$("$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" $args \
                --duration "$SECONDS_PER_LOAD" --json --label "$target/$name")
            record "{\"kind\":\"load\",\"target\":\"$target\",\"scenario\":\"$name\",\"round\":$round,\"load1\":$(load1),\"result\":$json}"
            printf '   %-9s %-15s %s\n' "$target" "$name" "$(python3 scripts/bench_report.py --line "$json")"
        done
        stop "$PID"
    done

    echo "== round $round/$ROUNDS: resident memory after 10,000 PutObject of 1 KiB"
    for target in "${TARGETS[@]}"; do
        start "$target"
        "$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op put --size 1024 --concurrency 8 \
            --keys 10000 --requests 10000 --duration 300 --prefix rss/ --json >"$OUT/rss-load.json"
        sleep 0.5
        kib=$(rss_kib "$PID")
        record "{\"kind\":\"rss\",\"target\":\"$target\",\"round\":$round,\"kib\":$kib,\"load1\":$(load1),\"result\":$(cat "$OUT/rss-load.json")}"
        printf '   %-9s %8d KiB\n' "$target" "$kib"
        stop "$PID"
    done

    echo "== round $round/$ROUNDS: cold start (spawn -> first answered request)"
    for target in "${TARGETS[@]}"; do
        case "$target" in
        ceiling) cmd=("$R/examples/ceiling" "127.0.0.1:{port}") path=/ ;;
        emulator) cmd=("$R/emulator" serve --world "$WORLD" --listen "127.0.0.1:{port}") path=/_emulator/health ;;
        moto) cmd=(python3 -m moto.server -H 127.0.0.1 -p "{port}") path=/ ;;
        esac
        json=$("$R/examples/loadgen" coldstart --expect 200 --path "$path" --json -- "${cmd[@]}")
        record "{\"kind\":\"coldstart\",\"target\":\"$target\",\"round\":$round,\"load1\":$(load1),\"result\":$json}"
        printf '   %-9s %s\n' "$target" "$json"
    done
    json=$("$R/examples/inproc_start" --world "$WORLD" --runs 20 --json)
    record "{\"kind\":\"inproc\",\"round\":$round,\"load1\":$(load1),\"result\":$json}"
    printf '   %-9s %s\n' "in-proc" "$json"
done

echo "== 1 GiB PutObject streamed into the digest and directory stores (RSS growth)"
DIR_STORE=$(mktemp -d)
for store in digest "dir:$DIR_STORE"; do
    start emulator "$store"
    before=$(rss_kib "$PID")
    "$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op put --size 1073741824 \
        --unsigned-payload --requests 1 --concurrency 1 --duration 300 --prefix big/ --json >"$OUT/big.json"
    after=$(rss_kib "$PID")
    peak=$(hwm_kib "$PID")
    record "{\"kind\":\"bigput\",\"store\":\"${store%%:*}\",\"before_kib\":$before,\"after_kib\":$after,\"peak_kib\":$peak,\"load1\":$(load1),\"result\":$(cat "$OUT/big.json")}"
    printf '   %-7s RSS before %d KiB, after %d KiB, peak %d KiB\n' "${store%%:*}" "$before" "$after" "$peak"
    stop "$PID"
done
rm -rf "$DIR_STORE"

echo "== 1 GiB multipart upload (128 parts of 8 MiB) into the directory store (RSS growth)"
DIR_STORE=$(mktemp -d)
start emulator "dir:$DIR_STORE"
before=$(rss_kib "$PID")
"$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" --op multipart --size 1073741824 \
    --requests 1 --concurrency 1 --duration 300 --prefix bigmp/ --json >"$OUT/bigmp.json"
after=$(rss_kib "$PID")
peak=$(hwm_kib "$PID")
record "{\"kind\":\"bigmultipart\",\"store\":\"dir\",\"before_kib\":$before,\"after_kib\":$after,\"peak_kib\":$peak,\"load1\":$(load1),\"result\":$(cat "$OUT/bigmp.json")}"
printf '   dir     RSS before %d KiB, after %d KiB, peak %d KiB\n' "$before" "$after" "$peak"
stop "$PID"
rm -rf "$DIR_STORE"

scale

echo "== policy evaluation (criterion, one core)"
cargo bench -q -p emulator --bench policy -- policy/seed/ 2>/dev/null | tee "$OUT/policy.txt" | grep -E "^policy|thrpt" || true
python3 - "$OUT/policy.txt" "$(load1)" >>"$RESULTS" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
scale = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}
for name, mid, unit in re.findall(r"^(policy/\S+)\s+time:.*?\n\s+thrpt:\s+\[\S+ \S+ (\S+) (\S+)", text, re.M):
    print(json.dumps({"kind": "policy", "bench": name, "per_s": float(mid) * scale[unit], "load1": float(sys.argv[2])}))
EOF

echo "== the scenario catalogue (harness run scenarios, after the build; 3 runs)"
# As README's main job runs it (`cargo run -p harness -- run scenarios`): the dev
# profile, whose dependencies are optimised (Cargo.toml).
cargo build --locked -q -p harness --bin harness
for run in 1 2 3; do
    t0=$(date +%s%N)
    target/debug/harness run scenarios >"$OUT/catalogue.txt" 2>&1 || {
        echo "bench: the scenario catalogue failed (see $OUT/catalogue.txt)" >&2
        exit 1
    }
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    files=$(find scenarios -name '*.toml' | wc -l)
    record "{\"kind\":\"catalogue\",\"round\":$run,\"ms\":$ms,\"files\":$files,\"load1\":$(load1)}"
    printf '   run %d: %d scenario files in %d ms\n' "$run" "$files" "$ms"
done

record "{\"kind\":\"elapsed\",\"seconds\":$(( $(date +%s) - STARTED ))}"
python3 scripts/bench_report.py "$RESULTS" | tee "$OUT/table.md"
