#!/usr/bin/env python3
"""Per-request figures from a callgrind profile of N requests (scripts/profile.sh).

    python3 scripts/callgrind_report.py PROFILE N self [TOP]
        the functions by their own instructions (inlined code counts where it lands)
    python3 scripts/callgrind_report.py PROFILE N callees REGEX [TOP]
        for each function matching REGEX: its inclusive cost and its callees'
    python3 scripts/callgrind_report.py PROFILE N callers REGEX [TOP]
        calls into functions matching REGEX, by caller: calls and inclusive cost

Every figure is divided by N. `--event EV` (anywhere) counts another of the profile's
events instead of instructions (`Ir`): with `scripts/profile.sh --cache`, `DLmr` and
`DLmw` (last-level read and write misses), `D1mr`, `D1mw`, `I1mr`. Reads callgrind's
own format (name compression, cost lines after `calls=`); no dependency beyond
Python 3.
"""

import collections
import re
import sys


def parse(path, event="Ir"):
    """Self cost per function and (caller, callee) -> [calls, inclusive cost], in
    `event`."""
    names = {}
    column = 0
    self_cost = collections.Counter()
    edges = collections.defaultdict(lambda: [0, 0])
    fn = cfn = None
    pending_calls = None

    def name(token):
        m = re.match(r"\((\d+)\)(?: (.*))?", token)
        if not m:
            return token
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), token)

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("events:"):
                events = line.split()[1:]
                if event not in events:
                    sys.exit(f"callgrind_report: no event {event} in {path} (it has {' '.join(events)})")
                column = events.index(event)
            elif line.startswith("fn="):
                fn = name(line[3:])
            elif line.startswith("cfn="):
                cfn = name(line[4:])
            elif line.startswith("calls="):
                pending_calls = int(line[6:].split()[0])
            elif line and (line[0].isdigit() or line[0] in "+-*"):
                parts = line.split()
                # A cost line is a position, then the events in order; trailing
                # zeros are left out.
                cost = int(parts[1 + column]) if len(parts) > 1 + column else 0
                if pending_calls is not None:
                    edge = edges[(fn, cfn)]
                    edge[0] += pending_calls
                    edge[1] += cost
                    pending_calls = None
                else:
                    self_cost[fn] += cost
    return self_cost, edges


def main(argv):
    event = "Ir"
    if "--event" in argv:
        at = argv.index("--event")
        if at + 1 >= len(argv):
            sys.exit(__doc__)
        event = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    if len(argv) < 4 or argv[3] not in ("self", "callees", "callers"):
        sys.exit(__doc__)
    path, n, mode = argv[1], int(argv[2]), argv[3]
    self_cost, edges = parse(path, event)
    # Misses a request are few: show a decimal.
    fmt = "9,.0f" if event == "Ir" else "9,.1f"
    if mode == "self":
        top = int(argv[4]) if len(argv) > 4 else 40
        what = "instructions" if event == "Ir" else event
        print(f"{sum(self_cost.values()) / n:{fmt.lstrip('9')}} {what} a request")
        for f, c in self_cost.most_common(top):
            print(f"{c / n:{fmt}}  {f[:140]}")
        return
    if len(argv) < 5:
        sys.exit(__doc__)
    pattern = re.compile(argv[4])
    top = int(argv[5]) if len(argv) > 5 else 25
    if mode == "callees":
        callees = collections.defaultdict(list)
        for (caller, callee), (calls, cost) in edges.items():
            callees[caller].append((cost, calls, callee))
        for f in sorted(set(self_cost) | set(callees)):
            if not pattern.search(f or ""):
                continue
            inclusive = self_cost[f] + sum(c for c, _, _ in callees[f])
            print(f"== {f[:140]}: inclusive {inclusive / n:,.1f}, self {self_cost[f] / n:,.1f}")
            for cost, calls, callee in sorted(callees[f], reverse=True)[:top]:
                print(f"   {cost / n:{fmt}}  ({calls / n:.1f}×) {callee[:120]}")
        return
    rows = [(cost, calls, caller, callee) for (caller, callee), (calls, cost) in edges.items()
            if pattern.search(callee or "")]
    for cost, calls, caller, callee in sorted(rows, reverse=True)[:top]:
        print(f"{calls / n:6.1f} calls {cost / n:{fmt}} inclusive  {caller[:90]}  ->  {callee[:60]}")


if __name__ == "__main__":
    main(sys.argv)
