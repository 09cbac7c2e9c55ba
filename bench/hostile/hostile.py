#!/usr/bin/env python3
"""Hostile-traffic benchmark for `omni-host serve` (python3 standard library only).

Usage:  hostile.py --bin target/release/omni-host [--only 1,2,...]
        hostile.py fake-graph PORT DELAY_SECONDS     (internal: the slow fake Graph API)

Every scenario starts its own `serve` (fresh process, fresh RSS), prints one `RESULT` line
(plus a few detail lines) and adds rows to the markdown table printed at the end. A scenario
that fails prints the reason and the server's stderr tail, and the run goes on.
"""

import argparse
import atexit
import hashlib
import hmac
import json
import os
import platform
import re
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

APP_SECRET = b"bench-app-secret"
VERIFY_TOKEN = "bench-verify"
API_TOKEN = "bench-api-token"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"
HOST = "127.0.0.1"
WEBHOOK_PATH = "/webhooks/whatsapp-cloud/bench"
SEND_PATH = "/api/v1/instances/bench/messages"
VERIFY_PATH = WEBHOOK_PATH + "?hub.mode=subscribe&hub.challenge=42&hub.verify_token=" + VERIFY_TOKEN

CHILDREN = []  # every Popen started here, killed on exit
ROWS = []  # (scenario, measurement, result) for the final table


def log(*parts):
    print(*parts, flush=True)


def row(scenario, measurement, result):
    ROWS.append((scenario, measurement, result))


# --------------------------------------------------------------------------------------------
# Fake Graph API (a separate process so the load generator's GIL never slows its answers)
# --------------------------------------------------------------------------------------------


def fake_graph_main(port, delay):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stats = {"sends": 0, "sends_answered": 0, "other": 0}
    lock = threading.Lock()
    send_re = re.compile(r"^/v\d+\.\d+/" + PHONE_ID + r"/messages$")
    node_re = re.compile(r"^/v\d+\.\d+/" + PHONE_ID + r"$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the host gave up (timeout) and closed: expected

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/stats":
                with lock:
                    return self.reply(200, dict(stats))
            with lock:
                stats["other"] += 1
            if node_re.match(path):
                return self.reply(200, {"id": PHONE_ID, "display_phone_number": "15550783881", "verified_name": "Bench"})
            self.reply(404, {"error": {"message": "unknown path", "code": 100}})

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?")[0]
            if not send_re.match(path):
                with lock:
                    stats["other"] += 1
                return self.reply(404, {"error": {"message": "unknown path", "code": 100}})
            if self.headers.get("authorization") != "Bearer EAAbench":
                return self.reply(401, {"error": {"message": "bad token", "code": 190}})
            with lock:
                stats["sends"] += 1
            time.sleep(delay)
            with lock:
                stats["sends_answered"] += 1
            self.reply(200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
                "messages": [{"id": "wamid.OK1", "message_status": "accepted"}],
            })

    ThreadingHTTPServer.request_queue_size = 512
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((HOST, port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sign(body):
    return "sha256=" + hmac.new(APP_SECRET, body, hashlib.sha256).hexdigest()


_ids = [0]
_ids_lock = threading.Lock()


def delivery(n, text="hi"):
    """A signed-able `messages` notification with n messages of unique, fixed-width ids."""
    with _ids_lock:
        base = _ids[0]
        _ids[0] += n
    msgs = [
        {"from": "16505551234", "id": "wamid.X%010d" % (base + i), "timestamp": "1750263773",
         "type": "text", "text": {"body": text}}
        for i in range(n)
    ]
    doc = {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "16505551234"}],
        "messages": msgs}}]}]}
    return json.dumps(doc, separators=(",", ":")).encode()


def delivery_of_size(target_bytes, text_len=560):
    """A delivery as close to (and not over) target_bytes as fixed-size messages allow."""
    text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20)[:text_len]
    one, two = len(delivery(1, text)), len(delivery(2, text))
    per = two - one
    n = max(1, (target_bytes - (one - per)) // per)
    return delivery(n, text), n


def head(method, path, headers, body_len=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % HOST]
    for k, v in headers.items():
        lines.append("%s: %s" % (k, v))
    if body_len is not None:
        lines.append("Content-Length: %d" % body_len)
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_response(buf):
    """(status or None, body bytes or None) from what was read so far."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, None
    first = buf[:buf.find(b"\r\n")].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", first)
    status = int(m.group(1)) if m else None
    hdrs = buf[:end].decode("latin-1").lower()
    m = re.search(r"\r\ncontent-length:\s*(\d+)", hdrs)
    body = buf[end + 4:]
    if m and len(body) >= int(m.group(1)):
        return status, body[:int(m.group(1))]
    return status, None


class Result:
    def __init__(self):
        self.status = None  # int, or None if no response was read
        self.body = b""
        self.error = None  # how the exchange ended abnormally (e.g. "reset", "eof", "timeout")
        self.sent = 0  # body bytes written to the socket (the server read them, or the kernel buffered them)
        self.elapsed = None
        self.first_response_at = None

    def label(self):
        if self.status is not None:
            return str(self.status)
        return "closed(%s)" % (self.error or "no-response")


def exchange(port, req_head, body=b"", body_len=None, timeout=30.0, chunk=65536, keep_streaming=True):
    """Sends a request (head, then `body`, or `body_len` zero bytes streamed) while watching for
    an early answer; reads the answer. Tolerates the server closing or resetting at any point."""
    r = Result()
    t0 = time.monotonic()
    deadline = t0 + timeout
    total = len(body) if body_len is None else body_len
    zeros = bytes(chunk)
    buf = b""
    try:
        s = socket.create_connection((HOST, port), timeout=10)
    except OSError as e:
        r.error = "connect:" + type(e).__name__
        r.elapsed = time.monotonic() - t0
        return r
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req_head)
        s.settimeout(5.0)
        eof = False
        while r.sent < total and time.monotonic() < deadline:
            if readable_now(s):
                data = s.recv(65536)
                if not data:
                    eof = True
                    r.error = "server-eof"
                    break
                buf += data
                if r.first_response_at is None and b"\r\n\r\n" in buf:
                    r.first_response_at = time.monotonic() - t0
                    if not keep_streaming:
                        break
            n = min(chunk, total - r.sent)
            piece = zeros[:n] if body_len is not None else body[r.sent:r.sent + n]
            r.sent += s.send(piece)
        if r.sent < total and not eof and r.first_response_at is None and time.monotonic() >= deadline:
            r.error = "client-deadline"
        # Read the answer (or what is left of it).
        while not eof and time.monotonic() < deadline:
            status, full = parse_response(buf)
            if full is not None:
                break
            s.settimeout(max(0.1, deadline - time.monotonic()))
            data = s.recv(65536)
            if not data:
                break
            buf += data
            if r.first_response_at is None and b"\r\n\r\n" in buf:
                r.first_response_at = time.monotonic() - t0
    except socket.timeout:
        r.error = "timeout"
    except ConnectionResetError:
        r.error = "reset"
    except BrokenPipeError:
        r.error = "broken-pipe"
    except OSError as e:
        r.error = type(e).__name__
    finally:
        # Whatever already arrived may still be readable after a reset.
        try:
            s.setblocking(False)
            while True:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
        except OSError:
            pass
        s.close()
    r.elapsed = time.monotonic() - t0
    status, full = parse_response(buf)
    r.status = status
    r.body = full if full is not None else buf[buf.find(b"\r\n\r\n") + 4:] if status else b""
    if status is None and r.error is None:
        r.error = "eof"
    return r


def readable_now(sock):
    """Whether `sock` has data (or EOF) to read right now (poll: no FD_SETSIZE limit)."""
    import select
    p = select.poll()
    p.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(p.poll(0))


def post_webhook(port, body, timeout=60.0):
    h = head("POST", WEBHOOK_PATH, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}, len(body))
    return exchange(port, h, body, timeout=timeout, keep_streaming=False)


def get(port, path, timeout=30.0):
    return exchange(port, head("GET", path, {}), timeout=timeout)


def send_api(port, timeout=200.0):
    body = json.dumps({"to": "16505551234", "content": {"type": "text", "text": "hi"}}).encode()
    h = head("POST", SEND_PATH, {"Content-Type": "application/json", "Authorization": "Bearer " + API_TOKEN}, len(body))
    return exchange(port, h, body, timeout=timeout)


def ms(seconds):
    return "%.0f ms" % (seconds * 1000) if seconds < 10 else "%.1f s" % seconds


def hist(labels):
    counts = {}
    for l in labels:
        counts[l] = counts.get(l, 0) + 1
    return ", ".join("%s×%d" % (k, v) for k, v in sorted(counts.items()))


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])  # kB (Threads: a count)
    except OSError:
        pass
    return out


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def mib(kb):
    return "%.1f MiB" % (kb / 1024.0)


def run_threads(fn, args_list):
    """Runs fn(*args) in one thread each, released together; returns the results in order."""
    results = [None] * len(args_list)
    barrier = threading.Barrier(len(args_list))

    def worker(i, args):
        barrier.wait()
        try:
            results[i] = fn(*args)
        except Exception as e:  # pragma: no cover - reported, never fatal
            r = Result()
            r.error = "client:" + repr(e)
            results[i] = r

    threads = [threading.Thread(target=worker, args=(i, a), daemon=True) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


class FakeGraph:
    def __init__(self, delay):
        self.port = free_port()
        self.delay = delay
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "fake-graph", str(self.port), str(delay)])
        CHILDREN.append(self.proc)
        for _ in range(100):
            try:
                if self.stats() is not None:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the fake Graph API did not start")

    def stats(self):
        r = get(self.port, "/stats", timeout=5)
        return json.loads(r.body) if r.status == 200 else None

    def stop(self):
        stop_proc(self.proc)


class Server:
    def __init__(self, ctx, name, graph_port, extra=(), nofile=None):
        self.ctx = ctx
        self.name = name
        self.port = free_port()
        self.config = os.path.join(ctx.work, "config-%s.toml" % name)
        with open(self.config, "w") as f:
            f.write(CONFIG_TEMPLATE % graph_port)
        self.stderr_path = os.path.join(ctx.work, "serve-%s.stderr" % name)
        argv = [ctx.bin, "serve", "--config", self.config, "--listen", "%s:%d" % (HOST, self.port), "--events", "none"]
        argv += list(extra)
        self.argv = argv
        shell = ("ulimit -n %d && " % nofile if nofile else "") + 'exec "$@"'
        self.stderr = open(self.stderr_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(["bash", "-c", shell, "serve"] + argv, stdout=subprocess.DEVNULL, stderr=self.stderr)
        CHILDREN.append(self.proc)
        self.pid = self.proc.pid
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited with %s before /healthz answered\n%s" % (self.proc.returncode, self.tail()))
            r = get(self.port, "/healthz", timeout=2)
            if r.status == 200:
                break
            if time.monotonic() - t0 > 60:
                raise RuntimeError("serve did not answer /healthz within 60 s\n" + self.tail())
            time.sleep(0.05)
        self.startup = time.monotonic() - t0
        log("  [serve %s: pid %d, port %d, ready in %s; %s]" % (name, self.pid, self.port, ms(self.startup), " ".join(argv[2:])))

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            raise RuntimeError("serve died (exit %s)\n%s" % (self.proc.returncode, self.tail()))

    def tail(self, lines=25):
        self.stderr.flush()
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no stderr)"
        return "  --- serve stderr (last %d lines) ---\n" % lines + "\n".join("  | " + l for l in text[-lines:])

    def stop(self):
        stop_proc(self.proc)
        self.stderr.close()


def stop_proc(proc, grace=20):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cleanup():
    for p in CHILDREN:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass


CONFIG_TEMPLATE = """[[instances]]
id = "bench"

[instances.config]
appSecret = "bench-app-secret"
webhookVerifyToken = "bench-verify"
phoneNumberId = "106540352242922"
businessAccountId = "102290129340398"
accessToken = "EAAbench"
graphBaseUrl = "http://127.0.0.1:%d"

[api]
token = "bench-api-token"
"""


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


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


def scenario_1(ctx):
    """Unauthenticated 100 MB bodies ×16, then an announced 50 MB body with a valid token."""
    name = "1 unauthenticated bodies"
    srv = Server(ctx, "s1", ctx.graph.port)
    try:
        conns, size = 16, 100 * 1024 * 1024
        before = proc_status(srv.pid)
        sampler = RssSampler(srv.pid)
        sampler.start()
        h = head("POST", SEND_PATH, {"Content-Type": "application/json"}, size)
        t0 = time.monotonic()
        results = run_threads(lambda: exchange(srv.port, h, body_len=size, timeout=60), [()] * conns)
        wall = time.monotonic() - t0
        sampler.stop()
        time.sleep(0.5)
        after = proc_status(srv.pid)
        srv.check_alive()
        statuses = hist(r.label() for r in results)
        ends = hist(r.error or ("all sent" if r.sent == size else "?") for r in results)
        sent = [r.sent for r in results]
        first = [r.first_response_at for r in results if r.first_response_at is not None]
        rss_growth = after["VmRSS"] - before["VmRSS"]
        peak_growth = max(after["VmHWM"], sampler.max_rss) - before["VmRSS"]
        log("  statuses: %s; how the upload ended: %s" % (statuses, ends))
        log("  body bytes written per connection before the server answered and closed (incl. socket buffers): min %.1f MB, max %.1f MB (of 104.9 MB); first answer after %s (max)"
            % (min(sent) / 1e6, max(sent) / 1e6, ms(max(first)) if first else "n/a"))
        log("  serve VmRSS %s -> %s (sampled max %s); VmHWM %s -> %s; wall %s"
            % (mib(before["VmRSS"]), mib(after["VmRSS"]), mib(sampler.max_rss), mib(before["VmHWM"]), mib(after["VmHWM"]), ms(wall)))
        summary = "16×100 MB unauthenticated: %s; RSS +%s, peak +%s over the pre-test RSS (HWM %s)" % (
            statuses, mib(rss_growth), mib(peak_growth), mib(after["VmHWM"]))
        row(name, "16 × 100 MB POST /api/…/messages, no token: statuses", statuses)
        row(name, "body bytes written per connection (min/max, incl. socket buffers)", "%.2f / %.2f MB of 104.86 MB; uploads ended: %s"
            % (min(sent) / 1e6, max(sent) / 1e6, ends))
        row(name, "serve RSS before → after (sampled peak); VmHWM before → after",
            "%s → %s (%s); %s → %s" % (mib(before["VmRSS"]), mib(after["VmRSS"]), mib(sampler.max_rss),
                                       mib(before["VmHWM"]), mib(after["VmHWM"])))

        h = head("POST", SEND_PATH, {"Content-Type": "application/json", "Authorization": "Bearer " + API_TOKEN}, 52428800)
        r = exchange(srv.port, h, body_len=52428800, timeout=30, keep_streaming=False)
        log("  50 MB announced, valid token: %s after %s (body bytes written before it: %d)"
            % (r.label(), ms(r.first_response_at or r.elapsed), r.sent))
        log("RESULT 1: %s; Content-Length 52428800 with token: %s in %s"
            % (summary, r.label(), ms(r.first_response_at or r.elapsed)))
        row(name, "Content-Length: 52428800 + valid token", "%s in %s (%d body bytes written before the answer)"
            % (r.label(), ms(r.first_response_at or r.elapsed), r.sent))
        srv.check_alive()
    finally:
        srv.stop()


def scenario_2(ctx):
    """1,100 idle connections against a 1,024-descriptor serve with --header-timeout 5."""
    name = "2 idle connections"
    header_timeout = 5
    srv = Server(ctx, "s2", ctx.graph.port, ["--header-timeout", str(header_timeout)], nofile=1024)
    socks, opened_at, closed_at, failures = [], {}, {}, []
    try:
        body = delivery(1)
        connect_times = []
        t0 = time.monotonic()
        for i in range(1100):
            c0 = time.monotonic()
            try:
                s = socket.create_connection((HOST, srv.port), timeout=5)
                s.setblocking(False)
                socks.append(s)
                opened_at[s.fileno()] = time.monotonic()
                connect_times.append(opened_at[s.fileno()] - c0)
            except OSError as e:
                failures.append(type(e).__name__)
        last_open = time.monotonic()
        open_time = last_open - t0
        slow_connects = sum(1 for c in connect_times if c > 0.5)
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                for key, _ in sel.select(0.05):
                    s = key.fileobj
                    try:
                        data = s.recv(4096)
                    except (ConnectionResetError, OSError):
                        data = b""
                    if not data:
                        closed_at[s.fileno()] = time.monotonic()
                        sel.unregister(s)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        time.sleep(0.2)
        fds_server = open_fds(srv.pid)
        closed_before_probe = len(closed_at)
        hook = post_webhook(srv.port, body, timeout=30)
        health = get(srv.port, "/healthz", timeout=30)
        more = [post_webhook(srv.port, delivery(1), timeout=30) for _ in range(4)]
        more_h = [get(srv.port, "/healthz", timeout=30) for _ in range(4)]
        # Wait until the last connection opened is past the header timeout (+2 s), then count.
        time.sleep(max(0.0, (last_open + header_timeout + 2.0) - time.monotonic()))
        stop.set()
        watcher.join()
        srv.check_alive()
        metrics = get(srv.port, "/metrics").body.decode("utf-8", "replace")
        refused = re.search(r"^omni_connections_refused_total(?:\{\})? (\d+)", metrics, re.M)
        refused = refused.group(1) if refused else "0"
        lifetimes = [closed_at[fd] - opened_at[fd] for fd in closed_at]
        shed = sum(1 for l in lifetimes if l < header_timeout - 0.5)
        timed_out = sum(1 for l in lifetimes if header_timeout - 0.5 <= l <= header_timeout + 1.5)
        late = sum(1 for l in lifetimes if l > header_timeout + 1.5)
        still_open = len(socks) - len(closed_at)
        log("  opened %d idle connections in %s (%d failed: %s; %d connects took > 0.5 s, slowest %s); "
            "serve had %d fds open with them, %d already closed by then"
            % (len(socks), ms(open_time), len(failures), hist(failures) or "-", slow_connects,
               ms(max(connect_times)) if connect_times else "-", fds_server, closed_before_probe))
        log("  webhook: %s in %s; /healthz: %s in %s; next 4 webhooks max %s (%s), next 4 healthz max %s (%s)"
            % (hook.label(), ms(hook.elapsed), health.label(), ms(health.elapsed),
               ms(max(r.elapsed for r in more)), hist(r.label() for r in more),
               ms(max(r.elapsed for r in more_h)), hist(r.label() for r in more_h)))
        log("  idle connections closed by the server: %d of %d — %d before %.1f s of idling (shed at the cap), "
            "%d at the %d s header timeout (%.1f–%.1f s), %d later; %d still open %.0f s after the last was opened; "
            "omni_connections_refused_total=%s"
            % (len(closed_at), len(socks), shed, header_timeout - 0.5, timed_out, header_timeout,
               header_timeout - 0.5, header_timeout + 1.5, late, still_open, header_timeout + 2.0, refused))
        if lifetimes:
            log("  idle lifetimes: min %.2f s, p50 %.2f s, max %.2f s" % (min(lifetimes), statistics.median(lifetimes), max(lifetimes)))
        log("RESULT 2: with 1,100 idle conns: webhook %s in %s, /healthz %s in %s; server closed %d/%d idle conns "
            "(%d shed at the cap, %d at the %d s header timeout), %d still open"
            % (hook.label(), ms(hook.elapsed), health.label(), ms(health.elapsed), shed + timed_out, len(socks),
               shed, timed_out, header_timeout, still_open))
        row(name, "1,100 idle TCP conns opened (serve: ulimit -n 1024, --header-timeout 5)",
            "%d opened in %s, %d failed; serve fds open with them: %d" % (len(socks), ms(open_time), len(failures), fds_server))
        row(name, "signed webhook while they are open", "%s in %s (4 more: max %s, %s)"
            % (hook.label(), ms(hook.elapsed), ms(max(r.elapsed for r in more)), hist(r.label() for r in more)))
        row(name, "GET /healthz while they are open", "%s in %s (4 more: max %s, %s)"
            % (health.label(), ms(health.elapsed), ms(max(r.elapsed for r in more_h)), hist(r.label() for r in more_h)))
        row(name, "idle conns closed by the server",
            "%d/%d: %d shed at the cap (idle < %.1f s), %d at the 5 s timeout (%.1f–%.1f s), %d later, %d still open; refused: %s"
            % (len(closed_at), len(socks), shed, header_timeout - 0.5, timed_out, header_timeout - 0.5,
               header_timeout + 1.5, late, still_open, refused))
    finally:
        for s in socks:
            s.close()
        srv.stop()


def latency_summary(results):
    ok = sum(1 for r in results if r.status == 200)
    others = [r.label() for r in results if r.status != 200]
    lat = [r.elapsed for r in results]
    return ok, others, statistics.median(lat), max(lat)


def scenario_3(ctx):
    """Large deliveries under CPU contention (default --max-concurrency 64)."""
    name = "3 large deliveries"
    srv = Server(ctx, "s3", ctx.graph.port)
    try:
        alone_body = delivery(4990)
        alone = post_webhook(srv.port, alone_body, timeout=60)
        alone2 = post_webhook(srv.port, delivery(4990), timeout=60)
        log("  one 4,990-message delivery alone (%d bytes): %s in %s, then %s in %s"
            % (len(alone_body), alone.label(), ms(alone.elapsed), alone2.label(), ms(alone2.elapsed)))
        row(name, "one 4,990-msg delivery alone (%.0f kB)" % (len(alone_body) / 1000), "%s in %s (second: %s)"
            % (alone.label(), ms(alone.elapsed), ms(alone2.elapsed)))
        summary = []
        for conc, n in ((16, 4990), (64, 1000)):
            bodies = [delivery(n) for _ in range(conc)]
            t0 = time.monotonic()
            results = run_threads(lambda b: post_webhook(srv.port, b, timeout=120), [(b,) for b in bodies])
            wall = time.monotonic() - t0
            srv.check_alive()
            ok, others, p50, mx = latency_summary(results)
            log("  %d × %d msgs (%d bytes each): 200×%d, other: %s; p50 %s, max %s; wall %s"
                % (conc, n, len(bodies[0]), ok, hist(others) or "none", ms(p50), ms(mx), ms(wall)))
            summary.append("%d×%d msgs: 200×%d, other: %s, p50 %s, max %s" % (conc, n, ok, hist(others) or "none", ms(p50), ms(mx)))
            for r in results:
                if r.status != 200:
                    log("  non-200: %s %r" % (r.label(), r.body[:300]))
                    break
            row(name, "%d concurrent × %d msgs" % (conc, n), "200×%d, other: %s; p50 %s, max %s (wall %s)"
                % (ok, hist(others) or "none", ms(p50), ms(mx), ms(wall)))
        log("RESULT 3: alone %s in %s; %s" % (alone.label(), ms(alone.elapsed), "; ".join(summary)))
        metrics = get(srv.port, "/metrics").body.decode("utf-8", "replace")
        fails = re.findall(r"^omni_plugin_failures_total\{[^}]*\} \d+", metrics, re.M)
        if fails:
            log("  plugin failures: " + "; ".join(fails))
            row(name, "plugin failures (metrics)", "; ".join(fails))
    finally:
        srv.stop()


def scenario_4(ctx):
    """Sends stuck on a slow Graph API must not block webhooks or verification."""
    name = "4 stuck sends"
    slow = FakeGraph(ctx.graph_delay)
    srv = Server(ctx, "s4", slow.port)
    try:
        n = 70
        results = [None] * n

        def one(i):
            results[i] = send_api(srv.port, timeout=300)

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(1.0)
        at_graph = slow.stats()
        hook = post_webhook(srv.port, delivery(1), timeout=60)
        verify = get(srv.port, VERIFY_PATH, timeout=60)
        health = get(srv.port, "/healthz", timeout=60)
        log("  after 1 s: %s sends reached the fake Graph API (delay %s s)" % (at_graph["sends"], ctx.graph_delay))
        log("  during %d stuck sends: webhook %s in %s; verification %s (body %r) in %s; /healthz %s in %s"
            % (n, hook.label(), ms(hook.elapsed), verify.label(), verify.body[:20], ms(verify.elapsed),
               health.label(), ms(health.elapsed)))
        row(name, "signed webhook during 70 stuck sends", "%s in %s" % (hook.label(), ms(hook.elapsed)))
        row(name, "verification GET during 70 stuck sends", "%s (body %r) in %s"
            % (verify.label(), verify.body.decode("latin-1")[:20], ms(verify.elapsed)))
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        srv.check_alive()
        lat = [r.elapsed for r in results]
        errs = {}
        for r in results:
            try:
                doc = json.loads(r.body) if r.body else None
                e = r.error if doc is None else "sent" if r.status == 200 else doc.get("error", "?")
            except ValueError:
                e = "non-json"
            errs.setdefault("%s %s" % (r.label(), e), []).append(r.elapsed)
        at_end = slow.stats()
        log("  sends: %s; latency min %s, p50 %s, max %s; all done after %s; fake Graph got %d sends"
            % (hist(r.label() for r in results), ms(min(lat)), ms(statistics.median(lat)), ms(max(lat)), ms(wall), at_end["sends"]))
        for k, v in sorted(errs.items()):
            log("    %s ×%d: %s … %s" % (k, len(v), ms(min(v)), ms(max(v))))
        sample = next((r for r in results if r.status is not None and r.status != 200), results[0])
        log("  sample answer: %s %s" % (sample.label(), sample.body[:400].decode("utf-8", "replace")))
        log("RESULT 4: during 70 stuck sends webhook %s in %s, verification %s in %s; the sends (Graph delay %s s): %s; min %s, p50 %s, max %s"
            % (hook.label(), ms(hook.elapsed), verify.label(), ms(verify.elapsed), ctx.graph_delay, "; ".join("%s×%d" % (k, len(v)) for k, v in sorted(errs.items())), ms(min(lat)),
               ms(statistics.median(lat)), ms(max(lat))))
        row(name, "70 sends (Graph delays %s s): outcome" % ctx.graph_delay,
            "; ".join("%s ×%d (%s–%s)" % (k, len(v), ms(min(v)), ms(max(v))) for k, v in sorted(errs.items())))
        row(name, "70 sends: latency min / p50 / max; sends that reached Graph",
            "%s / %s / %s; %d reached Graph (%s within the first second)"
            % (ms(min(lat)), ms(statistics.median(lat)), ms(max(lat)), at_end["sends"], at_graph["sends"]))
    finally:
        srv.stop()
        slow.stop()


def scenario_5(ctx):
    """SIGTERM with a half-sent body and a half-sent head, --shutdown-grace 5."""
    name = "5 SIGTERM, half-sent requests"
    srv = Server(ctx, "s5", ctx.graph.port, ["--shutdown-grace", "5"])
    a = b = None
    try:
        a = socket.create_connection((HOST, srv.port))
        a.sendall(head("POST", WEBHOOK_PATH, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(b"x")}, 5000)
                  .replace(b"Connection: close\r\n", b"") + b'{"object":')
        b = socket.create_connection((HOST, srv.port))
        half = b"POST /webhooks/whatsapp-cloud/bench HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"
        b.sendall(half)
        time.sleep(0.5)
        srv.check_alive()
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        try:
            code = srv.proc.wait(60)
        except subprocess.TimeoutExpired:
            code = "still running after 60 s"
        took = time.monotonic() - t0
        seen = []
        for s in (a, b):
            s.settimeout(1)
            try:
                data = s.recv(4096)
                seen.append(data.split(b"\r\n")[0].decode("latin-1") if data else "EOF")
            except socket.timeout:
                seen.append("nothing")
            except OSError as e:
                seen.append(type(e).__name__)
        log("  half body conn saw: %s; half head conn saw: %s" % tuple(seen))
        log("RESULT 5: SIGTERM → exit (code %s) after %s (grace 5 s)" % (code, ms(took)))
        row(name, "SIGTERM → process exit (--shutdown-grace 5)", "%s, exit code %s" % (ms(took), code))
        row(name, "what the two half-sent connections saw", "body 10/5000 B: %s; half head: %s" % tuple(seen))
        if took > 6.5:
            log(srv.tail(10))
    finally:
        for s in (a, b):
            if s:
                s.close()
        srv.stop()


def scenario_6(ctx):
    """Big signed batches: 2.5 MB and 3.5 MB (under the 4 MiB default), 5 MB (over)."""
    name = "6 big batches"
    srv = Server(ctx, "s6", ctx.graph.port)
    try:
        summary = []
        for target in (int(2.5 * 2**20), int(3.5 * 2**20), 5 * 2**20):
            body, n = delivery_of_size(target)
            r = post_webhook(srv.port, body, timeout=120)
            srv.check_alive()
            label = "%.1f MiB (%d bytes, %d msgs × 560 chars)" % (target / 2**20, len(body), n)
            extra = "" if r.status in (200, 413) else " body=%r" % r.body[:300]
            summary.append("%.1f MiB: %s in %s" % (target / 2**20, r.label(), ms(r.elapsed)))
            log("  %s: %s in %s%s%s" % (label, r.label(), ms(r.elapsed),
                                                "" if r.sent == len(body) else " (client wrote %d of %d body bytes before the answer)" % (r.sent, len(body)),
                                                extra))
            row(name, "signed batch " + label, "%s in %s%s" % (r.label(), ms(r.elapsed), extra))
        log("RESULT 6: " + "; ".join(summary))
    finally:
        srv.stop()


SCENARIOS = [scenario_1, scenario_2, scenario_3, scenario_4, scenario_5, scenario_6]


# --------------------------------------------------------------------------------------------


class Ctx:
    pass


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


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "fake-graph":
        return fake_graph_main(int(sys.argv[2]), float(sys.argv[3]))
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

    log("\n== results (omni-host serve under hostile traffic)\n")
    log("Machine: " + "; ".join("%s: %s" % (k, v) for k, v in facts if k in ("date", "nproc", "cpu", "memory", "omni-host")))
    log("")
    log("| Scenario | Measurement | Result |")
    log("|---|---|---|")
    for s, m, r in ROWS:
        log("| %s | %s | %s |" % (s, m.replace("|", "\\|"), str(r).replace("|", "\\|")))
    log("\nTotal run time (excluding build): %s%s" % (ms(total), "; FAILED scenarios: %s" % failed if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
