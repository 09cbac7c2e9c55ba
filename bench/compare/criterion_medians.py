#!/usr/bin/env python3
"""The median time per iteration of every criterion bench under DIR (its
`<variant>/<payload>/new/estimates.json`), as JSON lines `{"variant", "payload", "median_us"}`."""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1])
for estimates in sorted(root.glob("*/*/new/estimates.json")):
    variant, payload = estimates.parts[-4], estimates.parts[-3]
    median_ns = json.loads(estimates.read_text())["median"]["point_estimate"]
    print(json.dumps({"variant": variant, "payload": payload, "median_us": round(median_ns / 1000, 2)}))
