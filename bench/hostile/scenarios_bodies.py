"""Scenarios about request bodies: unauthenticated 100 MB uploads (1), large deliveries under CPU
contention (3) and big signed batches around the 4 MiB limit (6)."""

import re
import time

from common import (API_TOKEN, SEND_PATH, delivery, delivery_of_size, exchange, get, head, hist, log, mib, ms,
                    post_webhook, proc_status, row, run_threads)
from probes import RssSampler, latency_summary
from server import Server


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
