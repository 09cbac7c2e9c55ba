#!/usr/bin/env python3
"""Hostile-traffic benchmark for `omni-host serve` (python3 standard library only).

Usage:  hostile.py --bin target/release/omni-host [--only 1,2,...]
        hostile.py fake-graph PORT DELAY_SECONDS [MEDIA_MIB]   (internal: the fake Graph API)

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
MEDIA_ID = "7000000000001"

CHILDREN = []  # every Popen started here, killed on exit
ROWS = []  # (scenario, measurement, result) for the final table


def log(*parts):
    print(*parts, flush=True)


def row(scenario, measurement, result):
    ROWS.append((scenario, measurement, result))


# --------------------------------------------------------------------------------------------
# Fake Graph API (a separate process so the load generator's GIL never slows its answers)
# --------------------------------------------------------------------------------------------


def media_file(size):
    """The received file of the media scenario: byte i is i % 251 (as in the e2e test)."""
    pattern = bytes(range(251))
    return (pattern * (size // 251 + 1))[:size]


def fake_graph_main(port, delay, media_mib=0.0):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import base64

    stats = {"sends": 0, "sends_answered": 0, "other": 0, "media_meta": 0, "cdn_gets": 0, "cdn_done": 0,
             "cdn_bytes": 0}
    lock = threading.Lock()
    send_re = re.compile(r"^/v\d+\.\d+/" + PHONE_ID + r"/messages$")
    node_re = re.compile(r"^/v\d+\.\d+/" + PHONE_ID + r"$")
    # Meta's `GET /{version}/{media-id}` (metadata, the sha256 in base64 as Meta writes it) and the
    # short-lived URL it names, serving the bytes (host-harness/src/fake_graph/media.rs's shapes).
    media = media_file(int(media_mib * 2**20)) if media_mib else b""
    media_sha = base64.b64encode(hashlib.sha256(media).digest()).decode() if media else ""
    meta_re = re.compile(r"^/v\d+\.\d+/(" + MEDIA_ID + r")$")

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
            if media and meta_re.match(path):
                with lock:
                    stats["media_meta"] += 1
                return self.reply(200, {"messaging_product": "whatsapp", "url": "http://%s:%d/cdn/%s" % (HOST, port, MEDIA_ID),
                                        "mime_type": "application/pdf", "sha256": media_sha, "file_size": len(media),
                                        "id": MEDIA_ID})
            if media and path == "/cdn/" + MEDIA_ID:
                return self.send_media()
            with lock:
                stats["other"] += 1
            if node_re.match(path):
                return self.reply(200, {"id": PHONE_ID, "display_phone_number": "15550783881", "verified_name": "Bench"})
            self.reply(404, {"error": {"message": "unknown path", "code": 100}})

        def send_media(self):
            with lock:
                stats["cdn_gets"] += 1
            view, sent = memoryview(media), 0
            try:
                self.send_response(200)
                self.send_header("content-type", "application/pdf")
                self.send_header("content-length", str(len(media)))
                self.end_headers()
                while sent < len(media):
                    self.wfile.write(view[sent:sent + (1 << 20)])
                    sent = min(len(media), sent + (1 << 20))
            except OSError:
                pass  # the host stopped reading
            with lock:
                stats["cdn_bytes"] += sent
                stats["cdn_done"] += sent == len(media)

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
        self.head = ""  # the response head, lowercased (status line and headers)

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
    r.head = buf[:buf.find(b"\r\n\r\n")].decode("latin-1").lower() if status else ""
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
    def __init__(self, delay, media_mib=0):
        self.port = free_port()
        self.delay = delay
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "fake-graph", str(self.port), str(delay),
                                      str(media_mib)])
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
    def __init__(self, ctx, name, graph_port, extra=(), nofile=None, config_text=None, env=None):
        self.ctx = ctx
        self.name = name
        self.port = free_port()
        self.config = os.path.join(ctx.work, "config-%s.toml" % name)
        with open(self.config, "w") as f:
            f.write(config_text if config_text is not None else CONFIG_TEMPLATE % graph_port)
        self.stderr_path = os.path.join(ctx.work, "serve-%s.stderr" % name)
        argv = [ctx.bin, "serve", "--config", self.config, "--listen", "%s:%d" % (HOST, self.port), "--events", "none"]
        argv += list(extra)
        self.argv = argv
        # `ulimit -n N` for serve alone (soft and hard), set between fork and exec.
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.stderr = open(self.stderr_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.stderr, preexec_fn=limit,
                                     env=dict(os.environ, **env) if env else None)
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


# --------------------------------------------------------------------------------------------
# Round 3: what the starvation, instances-API, SIGHUP and unreachable-Graph tests assert
# (tests/tests/e2e/starvation.rs, host-harness/tests/hostile_api.rs, host-harness/tests/cli.rs,
# tests/tests/e2e/retries.rs), measured against the binary.
# --------------------------------------------------------------------------------------------


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


def scenario_7(ctx):
    """800 webhook bodies trickled at 1 byte/s against --max-connections 768."""
    name = "7 trickled bodies at the cap"
    summary = []
    # The brief's attack (Content-Length: 4 MiB, the largest body accepted), then the e2e test's
    # (Content-Length: 1000), each against a fresh serve.
    for label, length in (("4 MiB", 4 << 20), ("1000 B", 1000)):
        srv = Server(ctx, "s7-%d" % length, ctx.graph.port, ["--max-connections", "768"])
        socks = []
        stop = threading.Event()
        try:
            first = head("POST", WEBHOOK_PATH, {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00"},
                         length).replace(b"Connection: close\r\n", b"") + b"{"
            opened = Opened(srv.port, 800, first)
            socks = opened.socks
            trickled = [0]

            def trickle():
                while not stop.wait(1.0):
                    for s in socks:
                        try:
                            trickled[0] += s.send(b" ")
                        except OSError:
                            pass

            t = threading.Thread(target=trickle, daemon=True)
            t.start()
            time.sleep(0.3)
            fds = open_fds(srv.pid)
            hooks, healths = probe(srv.port)
            time.sleep(2.5)  # two more trickled bytes each, then a second look
            hooks2, healths2 = probe(srv.port, 2)
            # Refused deliveries: how long until one is taken again (the body deadline is 30 s).
            recovered = None
            if any(r.status != 200 for r in hooks2):
                while time.monotonic() - opened.done_at < 40:
                    r = post_webhook(srv.port, delivery(1), timeout=30)
                    if r.status == 200:
                        recovered = time.monotonic() - opened.done_at
                        break
                    time.sleep(1.0)
            stop.set()
            t.join()
            srv.check_alive()
            states = hist(sock_state(s) for s in socks)
            refused = metric(srv.port, "omni_connections_refused_total")
            busy = metric(srv.port, 'omni_webhook_requests_total{instance="bench",outcome="busy"}')
            log("  [%s] trickling conns: %s; serve fds then: %d; bytes trickled: %d" % (label, opened.text(), fds, trickled[0]))
            log("  [%s] after 0.3 s: webhook %s" % (label, probe_text(hooks)))
            log("  [%s] after 0.3 s: /healthz %s" % (label, probe_text(healths)))
            log("  [%s] after 3 s: webhook %s; /healthz %s" % (label, probe_text(hooks2), probe_text(healths2)))
            log("  [%s] the 800 trickling conns at the end: %s; omni_connections_refused_total %d; webhooks answered busy %d"
                % (label, states, refused, busy))
            for r in hooks + hooks2:
                if r.status != 200:
                    log("  [%s] non-200 webhook answer: %s %r" % (label, r.label(), r.body[:200]))
                    break
            if any(r.status != 200 for r in hooks2):
                log("  [%s] first signed webhook answered 200 again: %s" % (
                    label, "%.1f s after the trickling conns were opened" % recovered if recovered else "not within 40 s"))
            slow = [r for r in hooks + healths + hooks2 + healths2 if r.elapsed > 1.0 or r.status != 200]
            if slow:
                log("  [%s] SUSPECT: %d of %d probes not 200 within 1 s: %s" % (
                    label, len(slow), len(hooks + healths + hooks2 + healths2), hist("%s %s" % (
                        "webhook" if r in hooks + hooks2 else "healthz", r.label()) for r in slow)))
            summary.append("CL %s: webhook %s in %s, /healthz %s in %s" % (label, hooks[0].label(), ms(hooks[0].elapsed),
                                                                         healths[0].label(), ms(healths[0].elapsed)))
            row(name, "800 conns, Content-Length %s, trickled 1 B/s (--max-connections 768): signed webhook" % label,
                probe_text(hooks) + "; after 3 s: " + hist(r.label() for r in hooks2)
                + ("" if all(r.status == 200 for r in hooks2) else "; 200 again %s" % (
                    "after %.1f s" % recovered if recovered else "not within 40 s")))
            row(name, "… GET /healthz meanwhile (CL %s)" % label, probe_text(healths))
            row(name, "… the trickling conns afterwards (CL %s)" % label, "%s; omni_connections_refused_total %d; webhooks 503 busy: %d"
                % (states, refused, busy))
        finally:
            stop.set()
            for s in socks:
                s.close()
            srv.stop()
    log("RESULT 7: 800 trickled bodies at cap 768: " + "; ".join(summary))


def scenario_8(ctx):
    """1,000 connections each holding an almost complete 4 MiB webhook body."""
    name = "8 held 4 MiB bodies"
    size = 4 << 20
    body = bytes(b"0" * size)
    view = memoryview(body)
    summary = []
    for label, path in (("known instance", WEBHOOK_PATH), ("unknown instance", "/webhooks/whatsapp-cloud/nobody")):
        srv = Server(ctx, "s8-" + label.split()[0], ctx.graph.port)
        held, sampler = [], None
        try:
            post_webhook(srv.port, delivery(1), timeout=30)  # warm: the instance has served once
            time.sleep(0.2)
            before = proc_status(srv.pid)
            sampler = RssSampler(srv.pid)
            sampler.start()
            h = head("POST", path, {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00"}, size) \
                .replace(b"Connection: close\r\n", b"")
            opened = Opened(srv.port, 1000, h)
            held = opened.socks
            sent = [0] * len(held)
            # Push the body (all but its last byte) as far as the server reads or the kernel takes.
            t0 = time.monotonic()
            rounds = 0
            while time.monotonic() - t0 < 3.0:
                rounds += 1
                for i, s in enumerate(held):
                    while sent[i] < size - 1:
                        try:
                            n = s.send(view[sent[i]:size - 1])
                        except OSError:
                            break
                        if n <= 0:
                            break
                        sent[i] += n
                time.sleep(0.05)
            pushed = sum(sent)
            complete = sum(1 for x in sent if x == size - 1)
            during = proc_status(srv.pid)
            hooks = [post_webhook(srv.port, delivery(1), timeout=30) for _ in range(5)]
            health = get(srv.port, "/healthz", timeout=30)
            time.sleep(0.3)
            sampler.stop()
            after = proc_status(srv.pid)
            srv.check_alive()
            states = hist(sock_state(s) for s in held)
            busy = metric(srv.port, 'omni_webhook_requests_total{instance="bench",outcome="busy"}')
            unknown = metric(srv.port, 'omni_webhook_requests_total{instance="unknown",outcome="unknown_instance"}')
            growth = max(sampler.max_rss, after["VmRSS"]) - before["VmRSS"]
            hwm_growth = after["VmHWM"] - before["VmRSS"]
            log("  [%s] held conns: %s; %.1f MB pushed in %d rounds (%d bodies at 4 MiB - 1)"
                % (label, opened.text(), pushed / 1e6, rounds, complete))
            log("  [%s] serve VmRSS %s -> %s while held (sampled max %s, +%s); VmHWM %s -> %s; fds %d"
                % (label, mib(before["VmRSS"]), mib(during["VmRSS"]), mib(sampler.max_rss), mib(growth),
                   mib(before["VmHWM"]), mib(after["VmHWM"]), open_fds(srv.pid)))
            log("  [%s] signed webhook meanwhile: %s; /healthz %s in %s" % (label, probe_text(hooks), health.label(), ms(health.elapsed)))
            if hooks[0].status not in (200, None):
                log("  [%s] its answer: %r" % (label, hooks[0].body[:200]))
            log("  [%s] the held conns: %s; webhooks 503 busy: %d, 404 unknown: %d" % (label, states, busy, unknown))
            if growth > 256 * 1024:
                log("  [%s] SUSPECT: RSS grew by %s (> 256 MiB)" % (label, mib(growth)))
            if hooks[0].elapsed > 1.0:
                log("  [%s] SUSPECT: the webhook waited %s" % (label, ms(hooks[0].elapsed)))
            summary.append("%s: RSS +%s (HWM +%s), webhook %s" % (label, mib(growth), mib(hwm_growth), hooks[0].label()
                                                             + (" Retry-After %s" % header_value(hooks[0], "retry-after") if hooks[0].status == 503 else "")))
            row(name, "1,000 × 4 MiB - 1 B held, %s: bytes pushed; serve RSS before → peak (growth); VmHWM" % label,
                "%.1f MB pushed (%d complete); %s → %s (+%s); HWM %s → %s"
                % (pushed / 1e6, complete, mib(before["VmRSS"]), mib(max(sampler.max_rss, after["VmRSS"])), mib(growth),
                   mib(before["VmHWM"]), mib(after["VmHWM"])))
            row(name, "… signed webhook meanwhile (%s)" % label, probe_text(hooks))
            row(name, "… what the held conns got (%s)" % label, "%s; metrics: busy %d, unknown_instance %d" % (states, busy, unknown))
        finally:
            if sampler and sampler.is_alive():
                sampler.stop()
            for s in held:
                s.close()
            srv.stop()
    log("RESULT 8: 1,000 held 4 MiB bodies: " + "; ".join(summary))


def reloads(port):
    return {o: metric(port, 'omni_config_reloads_total{outcome="%s"}' % o) for o in ("ok", "refused")}


def wait_reload(srv, outcome, before, timeout=20.0):
    t0 = time.monotonic()
    while reloads(srv.port)[outcome] <= before[outcome]:
        if time.monotonic() - t0 > timeout:
            raise RuntimeError("no %s reload counted within %.0f s" % (outcome, timeout))
        time.sleep(0.02)
    return time.monotonic() - t0


def scenario_9(ctx):
    """SIGHUP on an emptied config file, then a reload storm under 2,000 webhooks."""
    name = "9 SIGHUP"
    srv = Server(ctx, "s9", ctx.graph.port, ["--log", "info"])
    try:
        whole = open(srv.config).read()
        # `: > config.toml; kill -HUP`
        before = reloads(srv.port)
        open(srv.config, "w").close()
        srv.proc.send_signal(signal.SIGHUP)
        took = wait_reload(srv, "refused", before)
        srv.check_alive()
        hook = post_webhook(srv.port, delivery(1), timeout=30)
        verify = get(srv.port, VERIFY_PATH, timeout=30)
        ready = get(srv.port, "/readyz", timeout=30)
        log("  emptied file + SIGHUP: refused reload counted after %s; then webhook %s in %s, verification %s, /readyz %s %s"
            % (ms(took), hook.label(), ms(hook.elapsed), verify.label(), ready.label(), ready.body[:200].decode("utf-8", "replace")))
        row(name, "`: > config.toml; kill -HUP`, then a signed webhook", "%s in %s (verification %s; reload refused after %s)"
            % (hook.label(), ms(hook.elapsed), verify.label(), ms(took)))

        # The storm: an editor writing the file in halves, emptied, rewritten, a HUP after each.
        with open(srv.config, "w") as f:
            f.write(whole)
        before = reloads(srv.port)
        stop = threading.Event()
        hups = [0]

        # The second whole file changes the instance (Graph API v23.0, not the default v26.0): the reloads that
        # take replace it, under traffic.
        changed = whole.replace("[instances.config]\n", '[instances.config]\ngraphApiVersion = "v23.0"\n')
        assert changed != whole

        def rewrite():
            cut = len(whole) // 2
            steps = [("w", whole[:cut]), ("a", whole[cut:]), ("w", ""), ("w", changed)]
            while not stop.is_set():
                for mode, text in steps:
                    with open(srv.config, mode) as f:
                        f.write(text)
                    srv.proc.send_signal(signal.SIGHUP)
                    hups[0] += 1
                    time.sleep(0.005)

        n, workers = 2000, 16
        results = [None] * n
        counter = [0]
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    i = counter[0]
                    counter[0] += 1
                if i >= n:
                    return
                results[i] = post_webhook(srv.port, delivery(1), timeout=30)

        writer = threading.Thread(target=rewrite, daemon=True)
        t0 = time.monotonic()
        writer.start()
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        stop.set()
        writer.join()
        with open(srv.config, "w") as f:
            f.write(whole)
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        srv.check_alive()
        after = reloads(srv.port)
        final = post_webhook(srv.port, delivery(1), timeout=30)
        statuses = hist(r.label() for r in results)
        lat = [r.elapsed for r in results]
        n404 = sum(1 for r in results if r.status == 404)
        srv.stderr.flush()
        with open(srv.stderr_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        replaced = len(re.findall(r"configuration reloaded.*updated[^\n]*bench", text))
        log("  storm: %d webhooks (%d clients) in %s while %d SIGHUPs (file half / whole / empty / changed): %s"
            % (n, workers, ms(wall), hups[0], statuses))
        log("  reloads counted: ok +%d (%d of them replaced the instance, per the info log), refused +%d; webhook latency p50 %s, p99 %s, max %s; after the storm: %s"
            % (after["ok"] - before["ok"], replaced, after["refused"] - before["refused"], ms(statistics.median(lat)),
               ms(pct(lat, 99)), ms(max(lat)), final.label()))
        for r in results:
            if r.status != 200:
                log("  non-200 sample: %s %r" % (r.label(), r.body[:200]))
                break
        if n404:
            log("  SUSPECT: %d webhooks answered 404 (instance missing) during the reload storm" % n404)
        log("RESULT 9: emptied file + HUP → webhook %s; storm of %d HUPs: %d webhooks %s (404: %d), reloads ok %d / refused %d"
            % (hook.label(), hups[0], n, statuses, n404, after["ok"] - before["ok"], after["refused"] - before["refused"]))
        row(name, "reload storm: 2,000 signed webhooks (16 clients) during %d SIGHUPs of a half / whole / empty / changed file" % hups[0],
            "%s (404: %d); p50 %s, p99 %s, max %s; wall %s" % (statuses, n404, ms(statistics.median(lat)), ms(pct(lat, 99)),
                                                             ms(max(lat)), ms(wall)))
        row(name, "… reloads counted (omni_config_reloads_total)", "ok +%d (%d replaced the instance), refused +%d"
            % (after["ok"] - before["ok"], replaced, after["refused"] - before["refused"]))
    finally:
        srv.stop()


def scenario_10(ctx):
    """32 concurrent slow downloads of one 100 MiB media file, and a send meanwhile."""
    name = "10 media downloads"
    size, clients, rate = 100 << 20, 32, 6 << 20  # each client reads at most `rate` bytes/s
    graph = FakeGraph(0.0, media_mib=100)
    srv = Server(ctx, "s10", graph.port)
    sampler = None
    try:
        path = "/api/v1/instances/bench/media/" + MEDIA_ID
        req = head("GET", path, {"Authorization": "Bearer " + API_TOKEN})
        expected_last = (size - 1) % 251
        time.sleep(0.2)
        before = proc_status(srv.pid)
        sampler = RssSampler(srv.pid)
        sampler.start()

        def download():
            r = Result()
            t0 = time.monotonic()
            total, last, buf = 0, None, bytearray(64 << 10)
            try:
                s = socket.create_connection((HOST, srv.port), timeout=10)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
                s.sendall(req)
                s.settimeout(30)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                status, _ = parse_response(data)
                r.status = status
                r.head = data[:data.find(b"\r\n\r\n")].decode("latin-1").lower()
                rest = data[data.find(b"\r\n\r\n") + 4:]
                total = len(rest)
                last = rest[-1] if rest else None
                r.first_response_at = time.monotonic() - t0
                while time.monotonic() - t0 < 55:
                    n = s.recv_into(buf)
                    if n == 0:
                        break
                    total += n
                    last = buf[n - 1]
                    ahead = total / float(rate) - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
                s.close()
            except OSError as e:
                r.error = type(e).__name__
            r.sent = total  # bytes received here
            r.body = bytes([last]) if last is not None else b""
            r.elapsed = time.monotonic() - t0
            return r

        results = [None] * clients
        threads = []
        for i in range(clients):
            def run(i=i):
                results[i] = download()
            t = threading.Thread(target=run, daemon=True)
            threads.append(t)
            t.start()
        time.sleep(1.0)
        mid = proc_status(srv.pid)
        send = send_api(srv.port, timeout=60)
        hook = post_webhook(srv.port, delivery(1), timeout=30)
        log("  after 1 s of %d downloads: send %s in %s (%s); webhook %s in %s; serve VmRSS %s"
            % (clients, send.label(), ms(send.elapsed), send.body[:120].decode("utf-8", "replace"), hook.label(),
               ms(hook.elapsed), mib(mid.get("VmRSS", 0))))
        for t in threads:
            t.join()
        sampler.stop()
        after = proc_status(srv.pid)
        srv.check_alive()
        whole = sum(1 for r in results if r.sent == size and r.body == bytes([expected_last]))
        statuses = hist(r.label() for r in results)
        lat = [r.elapsed for r in results]
        growth = max(sampler.max_rss, after["VmRSS"]) - before["VmRSS"]
        stats = graph.stats()
        log("  downloads: %s; %d of %d got the whole file (last byte checked); received min %.1f MB, max %.1f MB; took min %s, max %s"
            % (statuses, whole, clients, min(r.sent for r in results) / 1e6, max(r.sent for r in results) / 1e6,
               ms(min(lat)), ms(max(lat))))
        log("  fake Graph: %s" % stats)
        log("  serve VmRSS %s -> %s (sampled max %s, +%s); VmHWM %s -> %s"
            % (mib(before["VmRSS"]), mib(after["VmRSS"]), mib(sampler.max_rss), mib(growth), mib(before["VmHWM"]),
               mib(after["VmHWM"])))
        if growth > 256 * 1024:
            log("  SUSPECT: RSS grew by %s (> 256 MiB)" % mib(growth))
        if send.status != 200 or send.elapsed > 1.0:
            log("  SUSPECT: the send got %s in %s" % (send.label(), ms(send.elapsed)))
        log("RESULT 10: %d × 100 MiB downloads at ≤ %d MiB/s each: %s, %d whole; RSS +%s (HWM %s); a send meanwhile %s in %s"
            % (clients, rate >> 20, statuses, whole, mib(growth), mib(after["VmHWM"]), send.label(), ms(send.elapsed)))
        row(name, "32 × GET …/media/{id} of a 100 MiB file, clients reading ≤ 6 MiB/s: outcome",
            "%s; %d whole; took %s – %s" % (statuses, whole, ms(min(lat)), ms(max(lat))))
        row(name, "… serve RSS before → peak (growth); VmHWM", "%s → %s (+%s); HWM %s"
            % (mib(before["VmRSS"]), mib(max(sampler.max_rss, after["VmRSS"])), mib(growth), mib(after["VmHWM"])))
        row(name, "… a send (Graph answers at once) and a webhook meanwhile", "send %s in %s; webhook %s in %s"
            % (send.label(), ms(send.elapsed), hook.label(), ms(hook.elapsed)))
    finally:
        if sampler and sampler.is_alive():
            sampler.stop()
        srv.stop()
        graph.stop()


def scenario_11(ctx):
    """1,100 half-sent heads against a 1,024-descriptor serve (cap 768)."""
    name = "11 half-sent heads"
    srv = Server(ctx, "s11", ctx.graph.port, nofile=1024)
    socks = []
    try:
        half = b"POST " + WEBHOOK_PATH.encode() + b" HTTP/1.1\r\nhost: x\r\ncontent-len"
        opened = Opened(srv.port, 1100, half)
        socks = opened.socks
        time.sleep(0.3)
        fds = open_fds(srv.pid)
        hooks, healths = probe(srv.port)
        srv.check_alive()
        seen = [sock_state(s) for s in socks]
        states = hist(seen)
        closed = sum(1 for x in seen if x != "open")
        refused = metric(srv.port, "omni_connections_refused_total")
        log("  half-sent heads: %s; serve fds: %d" % (opened.text(), fds))
        log("  webhook %s" % probe_text(hooks))
        log("  /healthz %s" % probe_text(healths))
        log("  the half-sent heads afterwards: %s; omni_connections_refused_total %d" % (states, refused))
        slow = [r for r in hooks + healths if r.elapsed > 1.0 or r.status != 200]
        if slow:
            log("  SUSPECT: %d of %d probes not 200 within 1 s" % (len(slow), len(hooks + healths)))
        log("RESULT 11: with 1,100 half-sent heads (ulimit -n 1024): webhook %s in %s, /healthz %s in %s; %d closed by serve"
            % (hooks[0].label(), ms(hooks[0].elapsed), healths[0].label(), ms(healths[0].elapsed), closed))
        row(name, "1,100 conns each sent `POST …\\r\\nhost: x\\r\\ncontent-len` (serve: ulimit -n 1024): signed webhook",
            probe_text(hooks))
        row(name, "… GET /healthz meanwhile", probe_text(healths))
        row(name, "… the half-sent heads afterwards", "%s; omni_connections_refused_total %d" % (states, refused))
    finally:
        for s in socks:
            s.close()
        srv.stop()


def scenario_12(ctx):
    """A send through an instance whose Graph host does not resolve (graph.example.invalid)."""
    name = "12 unresolvable Graph host"
    config = CONFIG_TEMPLATE.replace('graphBaseUrl = "http://127.0.0.1:%d"', 'graphBaseUrl = "https://graph.example.invalid"')
    srv = Server(ctx, "s12", 0, config_text=config)
    try:
        r = send_api(srv.port, timeout=120)
        srv.check_alive()
        try:
            doc = json.loads(r.body)
        except ValueError:
            doc = {}
        kind, retryable = doc.get("error"), doc.get("retryable")
        sends = metric_lines(srv.port, "omni_sends_total")
        log("  send: %s in %s: %s" % (r.label(), ms(r.elapsed), r.body[:400].decode("utf-8", "replace")))
        log("  " + "; ".join(sends))
        if kind != "unreachable" or retryable is not True:
            log("  SUSPECT: expected a retryable `unreachable` (not sent), got error=%r retryable=%r" % (kind, retryable))
        log("RESULT 12: send via https://graph.example.invalid: %s, error %s, retryable %s, in %s"
            % (r.label(), kind, retryable, ms(r.elapsed)))
        row(name, "POST …/messages, graphBaseUrl https://graph.example.invalid", "%s, `%s`, retryable %s, in %s (%s)"
            % (r.label(), kind, retryable, ms(r.elapsed), "; ".join(sends)))
    finally:
        srv.stop()


def api_call(port, method, path, obj=None, timeout=60):
    body = json.dumps(obj).encode() if obj is not None else b""
    h = head(method, path, {"Content-Type": "application/json", "Authorization": "Bearer " + API_TOKEN}, len(body))
    r = exchange(port, h, body, timeout=timeout)
    text = r.body.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = {}
    return r, text, doc if isinstance(doc, dict) else {}


def scenario_13(ctx):
    """The instances API with its token: the host's environment and its loopback are off limits."""
    name = "13 instances API"
    secret_home = "/tmp/omni-bench-home-7f3a9c1e5b2d"
    cache = os.environ.get("OMNI_HOST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "omni-host")
    config = 'instances = []\n\n[api]\ntoken = "%s"\nenv_allow = ["OMNI_BENCH_ALLOWED_*"]\n' % API_TOKEN
    # HOME set to a value that is easy to spot in an answer (the compiled-component cache kept).
    srv = Server(ctx, "s13", 0, config_text=config, env={"HOME": secret_home, "OMNI_HOST_CACHE_DIR": cache})
    listener = socket.socket()
    try:
        listener.bind((HOST, 0))
        listener.listen(16)
        listener.setblocking(False)
        lport = listener.getsockname()[1]

        def instance(base, token):
            return {"config": {"appSecret": "caller-app-secret", "webhookVerifyToken": "caller-verify",
                               "phoneNumberId": PHONE_ID, "businessAccountId": WABA_ID, "accessToken": token,
                               "graphBaseUrl": base}}

        answers, lines = [], []
        checks = [
            ("accessToken {\"env\": \"HOME\"}", "PUT", "/api/v1/instances/evil",
             instance("https://graph.facebook.com", {"env": "HOME"})),
            ("graphBaseUrl http://127.0.0.1:%d" % lport, "PUT", "/api/v1/instances/evil",
             instance("http://127.0.0.1:%d" % lport, "EAAcaller")),
            ("graphBaseUrl https://localhost:%d" % lport, "PUT", "/api/v1/instances/evil",
             instance("https://localhost:%d" % lport, "EAAcaller")),
            ("… then connect it", "POST", "/api/v1/instances/evil/connect", None),
        ]
        results = {}
        for label, method, path, obj in checks:
            r, text, doc = api_call(srv.port, method, path, obj)
            answers.append(text)
            results[label] = (r, doc)
            lines.append("%s %s (%s): %s in %s — %s" % (method, path, label, r.label(), ms(r.elapsed),
                                                        (doc.get("message") or text)[:200]))
            log("  " + lines[-1])
        srv.check_alive()
        try:
            conn, _ = listener.accept()
            conn.close()
            reached = True
        except BlockingIOError:
            reached = False
        leaked = [i for i, t in enumerate(answers) if secret_home in t]
        env_r, env_doc = results[checks[0][0]]
        env_msg = env_doc.get("message", "")
        names_it = "env_allow" in env_msg and "HOME" in env_msg
        loop_r, loop_doc = results[checks[1][0]]
        suspects = []
        if env_r.status != 400 or not names_it:
            suspects.append("env HOME: %s, message names HOME and env_allow: %s" % (env_r.label(), names_it))
        if leaked:
            suspects.append("HOME's value in answer(s) %s" % leaked)
        if loop_r.status != 400:
            suspects.append("loopback graphBaseUrl: %s" % loop_r.label())
        if reached:
            suspects.append("the loopback listener got a connection")
        log("  HOME's value in any answer: %s; the listener on 127.0.0.1:%d got a connection: %s"
            % ("yes %s" % leaked if leaked else "no", lport, "YES" if reached else "no"))
        if suspects:
            log("  SUSPECT: " + "; ".join(suspects))
        log("RESULT 13: env HOME → %s (names env_allow: %s); http://127.0.0.1 → %s; https://localhost → %s, connect %s; "
            "HOME leaked: %s; listener reached: %s"
            % (env_r.label(), names_it, loop_r.label(), results[checks[2][0]][0].label(), results[checks[3][0]][0].label(),
               bool(leaked), reached))
        for (label, method, path, _), line in zip(checks, lines):
            r, doc = results[label]
            row(name, "%s %s with %s" % (method, path, label), "%s: %s" % (r.label(), (doc.get("message") or r.body.decode("utf-8", "replace"))[:160]))
        row(name, "HOME's value in an answer; loopback listener reached", "%s; %s" % ("yes" if leaked else "no", "yes" if reached else "no"))
    finally:
        listener.close()
        srv.stop()


SCENARIOS = [scenario_1, scenario_2, scenario_3, scenario_4, scenario_5, scenario_6,
             scenario_7, scenario_8, scenario_9, scenario_10, scenario_11, scenario_12, scenario_13]


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
