#!/usr/bin/env bash
# Compare servers under the same loads, interleaved round by round: what a change did
# to requests/s and to the server's CPU a request. On a shared machine a single round
# moves by ±10% or more, so rounds alternate the servers (each started afresh) and the
# table shows medians and ranges; the server's CPU a request (user + system time from
# /proc/PID/stat over the load, divided by the requests answered) moves less than
# requests/s does. For instruction counts, which do not move at all, see
# scripts/instructions.sh and scripts/profile.sh.
#
#   bash scripts/compare.sh [--rounds N] [--seconds S] [--loads "put ar"] SERVER...
#
# SERVER is `ceiling`, `floor` (`ceiling --floor`), `emulator` (this tree's
# release-lto binary) or NAME=PATH[,VAR=VALUE...]: an emulator binary under a name,
# with environment variables for it, e.g.
#
#   cp target/release-lto/emulator /tmp/before    # ... change, rebuild ...
#   bash scripts/compare.sh before=/tmp/before emulator one-worker=/tmp/before,TOKIO_WORKER_THREADS=1
#
# With two servers or more, a second table gives each round's req/s as a share of the
# first server's in the same round (median and range over the rounds): with
# `ceiling` first, issue #19's ratios, paired round by round.
#
# Loads (8 connections unless named otherwise; `loadgen`, as in scripts/bench.sh):
# put (PutObject 1 KiB), put-c1 (one connection), put1m (1 MiB), delete, ar
# (AssumeRole). Defaults: 3 rounds of 4 s, loads "put ar".
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3
SECONDS_PER_LOAD=4
LOADS="put ar"
SERVERS=()
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER_LOAD=$2; shift 2 ;;
    --loads) LOADS=$2; shift 2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "compare: unknown option $1" >&2; exit 2 ;;
    *) SERVERS+=("$1"); shift ;;
    esac
done
[ ${#SERVERS[@]} -ge 1 ] || { echo "compare: name at least one server (--help)" >&2; exit 2; }

load_args() {
    case $1 in
    put) echo "--op put --size 1024 --concurrency 8" ;;
    put-c1) echo "--op put --size 1024 --concurrency 1" ;;
    put1m) echo "--op put --size 1048576 --concurrency 8" ;;
    delete) echo "--op delete --concurrency 8" ;;
    ar) echo "--op assume-role --concurrency 8" ;;
    *) echo "compare: unknown load $1 (put, put-c1, put1m, delete, ar)" >&2; return 1 ;;
    esac
}
for l in $LOADS; do load_args "$l" >/dev/null; done

cargo build --profile release-lto --locked -q -p emulator --bin emulator --example loadgen --example ceiling
R=target/release-lto
OUT=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$OUT"' EXIT

# free_port, wait_port, cpu_ticks
source scripts/lib.sh

# start SERVER: runs it on a free port; sets NAME, PORT and PID.
start() {
    local spec=$1 path envs=()
    PORT=$(free_port)
    case $spec in
    ceiling | floor)
        NAME=$spec
        local flag=()
        [ "$spec" = floor ] && flag=(--floor)
        "$R/examples/ceiling" "127.0.0.1:$PORT" "${flag[@]}" >/dev/null 2>&1 &
        ;;
    *)
        if [ "$spec" = emulator ]; then
            NAME=emulator path=$R/emulator
        else
            NAME=${spec%%=*} path=${spec#*=}
            IFS=, read -r -a parts <<<"$path"
            path=${parts[0]}
            envs=("${parts[@]:1}")
        fi
        [ -x "$path" ] || { echo "compare: $path is not an executable" >&2; exit 2; }
        env "${envs[@]}" "$path" serve --world scripts/worlds/clients.toml --listen "127.0.0.1:$PORT" \
            --store memory >/dev/null 2>"$OUT/server.log" &
        ;;
    esac
    PID=$!
    wait_port "$PORT" 50 || { echo "compare: $spec did not start" >&2; exit 1; }
}

TCK=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
    for spec in "${SERVERS[@]}"; do
        start "$spec"
        for l in $LOADS; do
            before=$(cpu_ticks "$PID")
            # shellcheck disable=SC2046 # the load's arguments split on purpose
            "$R/examples/loadgen" run --target "http://127.0.0.1:$PORT" $(load_args "$l") \
                --duration "$SECONDS_PER_LOAD" --json >"$OUT/load.json"
            after=$(cpu_ticks "$PID")
            python3 - "$OUT/load.json" "$OUT/rows" "$round" "$NAME" "$l" "$before" "$after" "$TCK" <<'PY'
import json, sys
path, rows, rnd, name, load, before, after, tck = sys.argv[1:]
d = json.load(open(path))
if d["errors"]:
    sys.exit(f"compare: {name} {load}: {d['errors']} errors: {d.get('first_error')}")
cpu_us = (int(after) - int(before)) / int(tck) * 1e6 / d["ok"]
with open(rows, "a") as f:
    print(json.dumps({"round": int(rnd), "server": name, "load": load, "rps": d["rps"],
                      "p99_ms": d["p99_ms"], "cpu_us": cpu_us}), file=f)
print(f"round {rnd}  {name:<12} {load:<7} {d['rps']:>9,.0f} req/s  p99 {d['p99_ms']:.2f} ms  "
      f"server CPU {cpu_us:.1f} µs a request")
PY
        done
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=
    done
done

python3 - "$OUT/rows" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
servers = list(dict.fromkeys(r["server"] for r in rows))
loads = list(dict.fromkeys(r["load"] for r in rows))
print()
print("| load | server | req/s, median (range) | server CPU a request, median (range) | p99 ms, median |")
print("|---|---|---:|---:|---:|")
for load in loads:
    for s in servers:
        mine = [r for r in rows if r["server"] == s and r["load"] == load]
        rps = [r["rps"] for r in mine]
        cpu = [r["cpu_us"] for r in mine]
        p99 = statistics.median(r["p99_ms"] for r in mine)
        print(f"| {load} | {s} | {statistics.median(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) | "
              f"{statistics.median(cpu):.1f} µs ({min(cpu):.1f}–{max(cpu):.1f}) | {p99:.2f} |")
# Each round's ratio to the first server, taken from the same round: the two runs of
# a pair are seconds apart, so a slow stretch of the shared host weighs on both.
if len(servers) > 1:
    first = servers[0]
    print()
    print(f"| load | server | req/s ÷ {first}'s in the same round, median (range) |")
    print("|---|---|---:|")
    for load in loads:
        base = {r["round"]: r["rps"] for r in rows if r["server"] == first and r["load"] == load}
        for s in servers[1:]:
            ratios = [r["rps"] / base[r["round"]] for r in rows
                      if r["server"] == s and r["load"] == load and base.get(r["round"])]
            if ratios:
                print(f"| {load} | {s} | {statistics.median(ratios):.1%} "
                      f"({min(ratios):.1%}–{max(ratios):.1%}) |")
PY
