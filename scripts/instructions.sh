#!/usr/bin/env bash
# Instructions and heap allocations per request of the pipeline bench's requests
# (PutObject 1 KiB, DeleteObject, AssumeRole), counted by callgrind: unlike time, the
# counts do not move with a shared machine's load, so they show what a change saved.
# Each request runs N and 2N times; the difference over N is one request's
# (setup, signing and the first requests' warm-up cancel out). Allocations are calls
# into the allocator (mimalloc, as in the binary, and libc's malloc and calloc), the
# bench's own request building included.
#
#   bash scripts/instructions.sh           # N=500, about 2 minutes
#   N=200 bash scripts/instructions.sh
#
# `server` counts whole servers instead: the emulator (release-lto profile), the ceiling and the
# floor (`ceiling --floor`, the hashing and HMAC alone; see emulator/examples/ceiling.rs),
# each under callgrind while loadgen sends it N and then 2N requests on one
# connection; the difference over N is one request's instructions in the server
# process, hyper, tokio and the log line included (the kernel's work is not counted).
#
#   N=500 bash scripts/instructions.sh server   # about 5 minutes
#
# Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-500}"
command -v valgrind >/dev/null || { echo "instructions: valgrind is missing" >&2; exit 1; }
# free_port, wait_port
source scripts/lib.sh

if [ "${1:-}" = server ]; then
    cargo build --profile release-lto --locked -q -p emulator --bin emulator --example loadgen --example ceiling
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    # serve_count OP N SERVER ARGS...: the server's instruction total over N requests
    # of OP (`{port}` in ARGS is replaced by a free port).
    serve_count() {
        local op=$1 n=$2 port args=() a pid extra=()
        shift 2
        port=$(free_port)
        for a in "$@"; do args+=("${a//\{port\}/$port}"); done
        valgrind --tool=callgrind --callgrind-out-file="$out/cg" "${args[@]}" >/dev/null 2>"$out/log" &
        pid=$!
        wait_port "$port" || { echo "instructions: ${args[0]} did not start" >&2; exit 1; }
        [ "$op" = put ] && extra=(--size 1024)
        target/release-lto/examples/loadgen run --target "http://127.0.0.1:$port" --op "$op" "${extra[@]}" \
            --concurrency 1 --requests "$n" --duration 600 --json >"$out/load.json"
        kill -INT "$pid" 2>/dev/null || true
        sleep 0.5
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        grep -q '"errors":0' "$out/load.json" || { echo "instructions: requests failed: $(cat "$out/load.json")" >&2; exit 1; }
        awk '/^summary:/ {print $2}' "$out/cg"
    }
    printf '%-14s %12s %12s %12s\n' request ceiling floor emulator
    for op in put delete assume-role; do
        row=()
        for server in ceiling floor emulator; do
            case $server in
            ceiling) cmd=(target/release-lto/examples/ceiling "127.0.0.1:{port}") ;;
            floor) cmd=(target/release-lto/examples/ceiling "127.0.0.1:{port}" --floor) ;;
            emulator) cmd=(target/release-lto/emulator serve --world scripts/worlds/clients.toml
                --listen "127.0.0.1:{port}" --store memory) ;;
            esac
            a=$(serve_count "$op" "$N" "${cmd[@]}")
            b=$(serve_count "$op" $((2 * N)) "${cmd[@]}")
            row+=($(((b - a) / N)))
        done
        printf '%-14s %12d %12d %12d\n' "$op" "${row[@]}"
    done
    exit 0
fi
bin=$(cargo bench -p emulator --bench pipeline --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "pipeline" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# count OP N: "instructions allocations" of N requests (and the setup).
count() {
    PIPELINE_COUNT="$2" PIPELINE_ONLY="$1" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bin" --bench >/dev/null 2>"$out/log"
    local ir allocs
    ir=$(awk '/^summary:/ {print $2}' "$out/cg")
    # Calls into the allocator, summed over their callers: mimalloc's entry points
    # (the bench's global allocator, as the binary's) and libc's malloc and calloc
    # (C code's). LTO inlines Rust's own allocator shims, so the count is taken where
    # they all end.
    allocs=$(callgrind_annotate --tree=caller "$out/cg" 2>/dev/null | python3 -c '
import re, sys
total, block = 0, []
for line in sys.stdin:
    if not line.strip():
        block = []
        continue
    if re.search(r"\*\s+\S*:(malloc|calloc|mi_malloc_aligned|mi_zalloc_aligned) \[", line):
        total += sum(int(n.replace(",", "")) for b in block for n in re.findall(r"\(([0-9,]+)x\)", b))
        block = []
    else:
        block.append(line)
print(total)')
    echo "$ir ${allocs:-0}"
}
printf '%-18s %14s %12s\n' request instructions allocations
for op in put-object-1KiB delete-object assume-role; do
    read -r ia aa <<<"$(count "$op" "$N")"
    read -r ib ab <<<"$(count "$op" $((2 * N)))"
    printf '%-18s %14d %12d\n' "$op" $(((ib - ia) / N)) $(((ab - aa) / N))
done
