"""Scenarios about connections held open: idle ones (2), SIGTERM with half-sent requests (5),
bodies trickled at the connection cap (7), held 4 MiB bodies (8) and half-sent heads (11)."""

import re
import selectors
import signal
import socket
import statistics
import subprocess
import threading
import time

from common import (HOST, WEBHOOK_PATH, delivery, get, head, hist, log, mib, ms, open_fds, post_webhook,
                    proc_status, row, sign)
from probes import Opened, RssSampler, header_value, metric, probe, probe_text, sock_state
from server import Server


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
