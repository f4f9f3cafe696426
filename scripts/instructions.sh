#!/usr/bin/env bash
# Instructions and heap allocations per request of the pipeline bench's requests
# (PutObject 1 KiB, DeleteObject, AssumeRole), counted by callgrind: unlike time, the
# counts do not move with a shared machine's load, so they show what a change saved.
# Each request runs N and 2N times; the difference over N is one request's
# (setup, signing and the first requests' warm-up cancel out). Allocations are calls
# into the global allocator, the bench's own request building included.
#
#   bash scripts/instructions.sh           # N=500, about 2 minutes
#   N=200 bash scripts/instructions.sh
#
# Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-500}"
command -v valgrind >/dev/null || { echo "instructions: valgrind is missing" >&2; exit 1; }
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
    allocs=$(callgrind_annotate --tree=caller "$out/cg" 2>/dev/null |
        grep -E "< .*__rdl_alloc \(" | grep -oE "\([0-9,]+x\)" | tr -d '(),x' | head -1)
    echo "$ir ${allocs:-0}"
}
printf '%-18s %14s %12s\n' request instructions allocations
for op in put-object-1KiB delete-object assume-role; do
    read -r ia aa <<<"$(count "$op" "$N")"
    read -r ib ab <<<"$(count "$op" $((2 * N)))"
    printf '%-18s %14d %12d\n' "$op" $(((ib - ia) / N)) $(((ab - aa) / N))
done
