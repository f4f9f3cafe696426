"""Where a request's heap allocations come from: calls into the allocator per call
site, from a callgrind profile of the pipeline bench taken with caller contexts.

    cargo bench -p emulator --bench pipeline --no-run
    PIPELINE_COUNT=200 PIPELINE_ONLY=delete-object valgrind --tool=callgrind \\
        --separate-callers=8 --callgrind-out-file=cg.out target/release/deps/pipeline-HASH --bench
    python3 scripts/alloc_sites.py cg.out 200

Each line: allocations per request, then the first two frames above the allocator that
are not the standard library's (the site, and what called it). The setup's own
allocations are divided in too, so rows under 1 are mostly setup. An allocation is a
call into the allocator's entry points, as `scripts/instructions.sh` counts them:
mimalloc's (the bench's global allocator) and libc's `malloc` and `calloc` (C code's);
with LTO, Rust's `__rust_alloc` shim is inlined and cannot be counted.
"""

import collections
import re
import sys


def main(path, requests):
    names = {}
    counts = collections.Counter()
    callee = None
    generic = ("alloc::", "<alloc::", "core::", "<core::", "hashbrown", "<hashbrown", "std::", "<std::", "__rustc::")
    entries = ("mi_malloc_aligned'", "mi_zalloc_aligned'", "malloc'", "calloc'")
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name
                callee = ident if kind == "cfn" else None
                continue
            m = re.match(r"^calls=(\d+)", line)
            if m and callee:
                name = names.get(callee, "")
                if name.startswith(entries):
                    frames = [p for p in name.split("'")[1:] if not p.startswith(generic)][:2]
                    counts[" <- ".join(frames)] += int(m.group(1))
                callee = None
    total = sum(counts.values())
    print(f"{total / requests:.1f} allocations per request (setup included)")
    for site, n in counts.most_common(40):
        print(f"{n / requests:6.2f}  {site[:200]}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) == 0:
        sys.exit("usage: python3 scripts/alloc_sites.py CALLGRIND_OUT REQUESTS (REQUESTS > 0; see the header)")
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except OSError as e:
        sys.exit(f"alloc_sites: {e}")
