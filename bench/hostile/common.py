"""Shared pieces of the hostile benchmark: constants, the result table's rows, signing, request
building and the raw-socket HTTP exchange, and small formatting and /proc helpers."""

import hashlib
import hmac
import json
import os
import re
import socket
import threading
import time


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
