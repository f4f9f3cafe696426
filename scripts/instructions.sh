#!/usr/bin/env bash
# Instructions per request of the pipeline bench's requests (PutObject 1 KiB,
# DeleteObject, AssumeRole), counted by callgrind: unlike time, the count does not
# move with a shared machine's load, so it shows what a change saved. Each request
# runs N and 2N times; the difference over N is one request's instructions
# (setup, signing and the first requests' warm-up cancel out).
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
count() {
    PIPELINE_COUNT="$2" PIPELINE_ONLY="$1" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bin" --bench >/dev/null 2>"$out/log"
    awk '/^summary:/ {print $2}' "$out/cg"
}
printf '%-18s %14s\n' request "instructions"
for op in put-object-1KiB delete-object assume-role; do
    a=$(count "$op" "$N")
    b=$(count "$op" $((2 * N)))
    printf '%-18s %14d\n' "$op" $(((b - a) / N))
done
