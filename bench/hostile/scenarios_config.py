"""Scenarios about configuration: SIGHUP on an emptied file and a reload storm (9), and the
instances API refusing the host's environment and loopback (13)."""

import json
import os
import re
import signal
import socket
import statistics
import threading
import time

from common import (API_TOKEN, HOST, PHONE_ID, VERIFY_PATH, WABA_ID, delivery, exchange, get, head, hist, log, ms,
                    pct, post_webhook, row)
from probes import metric
from server import Server


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
