"""The processes a scenario starts: `serve` (config file, fd limit, ready on /healthz) and the fake
Graph API (this script run again in its `fake-graph` mode), and stopping them."""

import json
import os
import resource
import signal
import subprocess
import sys
import time

from common import CHILDREN, HOST, free_port, get, log, ms

# The entry point, started again as `hostile.py fake-graph PORT DELAY_SECONDS MEDIA_MIB`.
ENTRY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.py")


class FakeGraph:
    def __init__(self, delay, media_mib=0):
        self.port = free_port()
        self.delay = delay
        self.proc = subprocess.Popen([sys.executable, ENTRY, "fake-graph", str(self.port), str(delay),
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
