"""Scenarios about the Graph API side: sends stuck on a slow Graph (4), slow media downloads
through the host (10) and a Graph host that does not resolve (12)."""

import json
import socket
import statistics
import threading
import time

from common import (API_TOKEN, HOST, MEDIA_ID, VERIFY_PATH, Result, delivery, get, head, hist, log, mib, ms,
                    parse_response, post_webhook, proc_status, row, send_api)
from probes import RssSampler, metric_lines
from server import CONFIG_TEMPLATE, FakeGraph, Server


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
