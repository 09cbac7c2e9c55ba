"""The fake Graph API, run as `hostile.py fake-graph PORT DELAY_SECONDS [MEDIA_MIB]` (a separate
process so the load generator's GIL never slows its answers)."""

import hashlib
import json
import os
import re
import signal
import threading
import time

from common import HOST, MEDIA_ID, PHONE_ID


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
