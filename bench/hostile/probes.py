"""Measuring a running `serve`: RSS sampling, latency and /metrics readings, the state of held
connections, connection floods (`Opened`) and the webhook / healthz probes sent meanwhile.

The /metrics, socket-state and probe helpers serve round 3: what the starvation, instances-API,
SIGHUP and unreachable-Graph tests assert (tests/tests/e2e/starvation.rs,
host-harness/tests/hostile_api.rs, host-harness/tests/cli.rs, tests/tests/e2e/retries.rs),
measured against the binary."""

import re
import socket
import statistics
import threading
import time

from common import HOST, delivery, get, hist, ms, post_webhook, proc_status


class RssSampler(threading.Thread):
    def __init__(self, pid, every=0.02):
        super().__init__(daemon=True)
        self.pid, self.every, self.max_rss, self.stop_flag = pid, every, 0, False

    def run(self):
        while not self.stop_flag:
            self.max_rss = max(self.max_rss, proc_status(self.pid).get("VmRSS", 0))
            time.sleep(self.every)

    def stop(self):
        self.stop_flag = True
        self.join()
        self.max_rss = max(self.max_rss, proc_status(self.pid).get("VmRSS", 0))


def latency_summary(results):
    ok = sum(1 for r in results if r.status == 200)
    others = [r.label() for r in results if r.status != 200]
    lat = [r.elapsed for r in results]
    return ok, others, statistics.median(lat), max(lat)


def metric(port, series):
    """The value of one exact series of /metrics (`name{labels}`), 0 when absent."""
    text = get(port, "/metrics", timeout=30).body.decode("utf-8", "replace")
    for line in text.splitlines():
        if line.startswith(series + " ") or ("{" not in series and line.startswith(series + "{} ")):
            return float(line.split()[-1])
    return 0


def metric_lines(port, prefix):
    text = get(port, "/metrics", timeout=30).body.decode("utf-8", "replace")
    return [l for l in text.splitlines() if l.startswith(prefix)]


def header_value(r, name):
    m = re.search(r"\r\n" + re.escape(name.lower()) + r":\s*([^\r\n]*)", r.head or "")
    return m.group(1).strip() if m else None


def sock_state(s):
    """What the server did with a connection we hold: 'open', 'eof', 'reset', or the status it
    answered (after which it may have closed too). Non-blocking."""
    s.setblocking(False)
    try:
        data = s.recv(4096)
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return type(e).__name__
    if not data:
        return "eof"
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return "answered " + (m.group(1).decode() if m else "?")


def listen_overflows():
    """The kernel's TcpExt ListenOverflows counter (accept queue full: the SYN is dropped and the
    client retries it after 1 s, 3 s...). System-wide: meaningful on an otherwise idle machine."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            if names.startswith("TcpExt:"):
                return int(dict(zip(names.split()[1:], values.split()[1:]))["ListenOverflows"])
    except (OSError, KeyError, ValueError):
        pass
    return -1


class Opened:
    """n connections opened one after the other, each having sent first_bytes."""

    def __init__(self, port, n, first_bytes):
        self.socks, self.failures, connects = [], [], []
        overflows = listen_overflows()
        t0 = time.monotonic()
        for _ in range(n):
            c0 = time.monotonic()
            try:
                s = socket.create_connection((HOST, port), timeout=5)
                connects.append(time.monotonic() - c0)
                s.sendall(first_bytes)
                s.setblocking(False)
                self.socks.append(s)
            except OSError as e:
                self.failures.append(type(e).__name__)
        self.done_at = time.monotonic()
        self.took = self.done_at - t0
        self.slow = sum(1 for c in connects if c > 0.5)
        self.slowest = max(connects) if connects else 0.0
        self.overflows = listen_overflows() - overflows

    def text(self):
        return "%d opened in %s (%d failed%s); %d connects took > 0.5 s (slowest %s), kernel ListenOverflows +%d" % (
            len(self.socks), ms(self.took), len(self.failures), ": " + hist(self.failures) if self.failures else "",
            self.slow, ms(self.slowest), self.overflows)


def probe(port, n=5):
    """n signed one-message webhooks then n /healthz, one after the other: the results."""
    hooks = [post_webhook(port, delivery(1), timeout=30) for _ in range(n)]
    healths = [get(port, "/healthz", timeout=30) for _ in range(n)]
    return hooks, healths


def probe_text(results):
    first = results[0]
    extra = ""
    if first.status == 503:
        extra = " (Retry-After: %s)" % header_value(first, "retry-after")
    return "%s in %s%s; next %d: %s, max %s" % (first.label(), ms(first.elapsed), extra, len(results) - 1,
                                               hist(r.label() for r in results[1:]), ms(max(r.elapsed for r in results[1:])))
