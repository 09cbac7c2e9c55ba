"""The run's report: the machine facts printed first and the closing markdown table of every row."""

import os
import platform
import re
import subprocess
import time

from common import ROWS, log, ms


def machine_facts(binary):
    facts = []
    facts.append(("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    facts.append(("nproc", str(os.cpu_count())))
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else "?"
    except OSError:
        pass
    facts.append(("cpu", cpu))
    try:
        with open("/proc/meminfo") as f:
            facts.append(("memory", f.readline().split(":")[1].strip()))
    except OSError:
        pass
    facts.append(("kernel", platform.release()))
    facts.append(("python", platform.python_version()))
    try:
        v = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        facts.append(("omni-host", (v.stdout or v.stderr).strip() or "exit %d" % v.returncode))
    except Exception as e:
        facts.append(("omni-host", "--version failed: %r" % e))
    facts.append(("binary", "%s (%.1f MB, built %s)" % (binary, os.path.getsize(binary) / 1e6,
                                                       time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(binary))))))
    return facts


def print_table(facts, total, failed):
    """The closing summary: the machine, one table line per row, the total run time."""
    log("\n== results (omni-host serve under hostile traffic)\n")
    log("Machine: " + "; ".join("%s: %s" % (k, v) for k, v in facts if k in ("date", "nproc", "cpu", "memory", "omni-host")))
    log("")
    log("| Scenario | Measurement | Result |")
    log("|---|---|---|")
    for s, m, r in ROWS:
        log("| %s | %s | %s |" % (s, m.replace("|", "\\|"), str(r).replace("|", "\\|")))
    log("\nTotal run time (excluding build): %s%s" % (ms(total), "; FAILED scenarios: %s" % failed if failed else ""))
