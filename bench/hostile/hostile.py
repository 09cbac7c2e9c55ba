#!/usr/bin/env python3
"""Hostile-traffic benchmark for `omni-host serve` (python3 standard library only).

Usage:  hostile.py --bin target/release/omni-host [--only 1,2,...]
        hostile.py fake-graph PORT DELAY_SECONDS [MEDIA_MIB]   (internal: the fake Graph API)

Every scenario starts its own `serve` (fresh process, fresh RSS), prints one `RESULT` line
(plus a few detail lines) and adds rows to the markdown table printed at the end. A scenario
that fails prints the reason and the server's stderr tail, and the run goes on.

This file is the entry point (arguments, the scenario loop); the pieces are sibling modules:
common.py (constants, signing, HTTP exchange, helpers), fake_graph.py, server.py, probes.py,
scenarios_{bodies,connections,graph,config}.py and report.py.
"""

import argparse
import atexit
import os
import resource
import signal
import sys
import tempfile
import time
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from common import log, ms, row  # noqa: E402
from fake_graph import fake_graph_main  # noqa: E402
from report import machine_facts, print_table  # noqa: E402
from scenarios_bodies import scenario_1, scenario_3, scenario_6  # noqa: E402
from scenarios_config import scenario_9, scenario_13  # noqa: E402
from scenarios_connections import scenario_2, scenario_5, scenario_7, scenario_8, scenario_11  # noqa: E402
from scenarios_graph import scenario_4, scenario_10, scenario_12  # noqa: E402
from server import FakeGraph, cleanup  # noqa: E402


SCENARIOS = [scenario_1, scenario_2, scenario_3, scenario_4, scenario_5, scenario_6,
             scenario_7, scenario_8, scenario_9, scenario_10, scenario_11, scenario_12, scenario_13]


class Ctx:
    pass


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "fake-graph":
        return fake_graph_main(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--only", default="", help="comma-separated scenario numbers")
    ap.add_argument("--graph-delay", type=float, default=float(os.environ.get("GRAPH_DELAY", "30")))
    args = ap.parse_args()

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    ctx = Ctx()
    ctx.bin = os.path.abspath(args.bin)
    ctx.graph_delay = args.graph_delay
    ctx.work = tempfile.mkdtemp(prefix="omni-hostile-")
    facts = machine_facts(ctx.bin)
    log("== machine")
    for k, v in facts:
        log("  %-10s %s" % (k, v))
    log("  %-10s %s (client fd limit %d)" % ("workdir", ctx.work, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    ctx.graph = FakeGraph(0.0)  # answers at once; scenario 4 starts its own slow one

    only = {int(x) for x in args.only.split(",") if x.strip()}
    started = time.monotonic()
    failed = []
    for i, scenario in enumerate(SCENARIOS, 1):
        if only and i not in only:
            continue
        log("\n== scenario %d: %s" % (i, scenario.__doc__.strip()))
        t0 = time.monotonic()
        try:
            scenario(ctx)
        except Exception as e:
            failed.append(i)
            log("FAILED scenario %d: %s" % (i, e))
            traceback.print_exc(file=sys.stdout)
            row("%d" % i, "scenario failed", str(e).splitlines()[0])
        log("  (scenario %d took %s)" % (i, ms(time.monotonic() - t0)))
    total = time.monotonic() - started

    print_table(facts, total, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
