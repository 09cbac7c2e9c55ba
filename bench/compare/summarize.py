#!/usr/bin/env python3
"""Per-webhook table from the rounds of bench/compare/run.sh: for every payload and variant
(the peers, then the component's variants), the median of the round medians in µs and their
spread (min-max), as a markdown table."""
import collections, json, statistics, sys

COLUMNS = ["whatsapp-api-js", "pywa", "floor", "native", "component_reused", "component_fresh"]
PAYLOADS = ["text", "status", "batch20", "non_ascii"]
rounds = collections.defaultdict(list)
notes = {}
for path in sys.argv[1:]:
    for line in open(path):
        row = json.loads(line)
        column = row.get("peer") or row["variant"]
        rounds[(column, row["payload"])].append(row["median_us"])
        if row.get("note"):
            notes[(column, row["payload"])] = row["note"]


def cell(column, payload):
    values = rounds.get((column, payload))
    if not values:
        return "-"
    text = f"{statistics.median(values):.1f}"
    if len(values) > 1:
        text += f" ({min(values):.1f}-{max(values):.1f})"
    if (column, payload) in notes:
        text += " *"
    return text


print("| payload | " + " | ".join(COLUMNS) + " |")
print("| --- |" + " --- |" * len(COLUMNS))
for payload in PAYLOADS:
    print(f"| {payload} | " + " | ".join(cell(c, payload) for c in COLUMNS) + " |")
for (column, payload), note in sorted(notes.items()):
    print(f"\n* {column} / {payload}: {note}")
