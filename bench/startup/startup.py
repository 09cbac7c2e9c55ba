#!/usr/bin/env python3
"""Time from starting `omni-host serve` to its first answered signed webhook, with the
compiled-component cache cold (an empty directory: the component is compiled) and warm (the
entry from the previous start), over ROUNDS starts each. Prints one line per start and a
summary (median and max, in ms).

    python3 bench/startup/startup.py OMNI_HOST_BINARY [ROUNDS]
"""
import hashlib, hmac, http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

SECRET = b"startup-secret"
BODY = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
    "field": "messages", "value": {"messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "16505551234"}],
    "messages": [{"from": "16505551234", "id": "wamid.STARTUP", "timestamp": "1750263773", "type": "text",
                  "text": {"body": "first request"}}]}}]}]}, separators=(",", ":")).encode()
SIGNATURE = "sha256=" + hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_webhook(binary, config, cache, port):
    """Milliseconds from spawn to the first 200 on a signed webhook."""
    started = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--config", config, "--listen", f"127.0.0.1:{port}",
                             "--events", "none", "--cache-dir", cache],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("POST", "/webhooks/whatsapp-cloud/startup", BODY,
                             {"x-hub-signature-256": SIGNATURE, "content-type": "application/json"})
                status = conn.getresponse().status
                conn.close()
                if status != 200:
                    raise SystemExit(f"the webhook answered {status}")
                return (time.perf_counter() - started) * 1000
            except (ConnectionRefusedError, ConnectionResetError):
                if proc.poll() is not None:
                    raise SystemExit("serve exited before answering")
                time.sleep(0.0005)
    finally:
        proc.terminate()
        proc.wait()


def main():
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        given = sys.argv[1] if len(sys.argv) > 1 else "no binary"
        sys.exit(f"startup.py: {given} is not an omni-host binary; build one first:\n"
                 "    cargo build --release -p omni-host\n"
                 "    python3 bench/startup/startup.py target/release/omni-host 10")
    binary, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    work = tempfile.mkdtemp(prefix="omni-startup-")
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write('[[instances]]\nid = "startup"\n\n[instances.config]\nappSecret = "startup-secret"\n'
                'webhookVerifyToken = "v"\nphoneNumberId = "106540352242922"\n'
                'businessAccountId = "102290129340398"\naccessToken = "EAAstartup"\n'
                'graphBaseUrl = "http://127.0.0.1:9"\n')
    cold, warm = [], []
    try:
        for i in range(rounds):
            cache = os.path.join(work, f"cache-{i}")
            cold.append(first_webhook(binary, config, cache, free_port()))
            warm.append(first_webhook(binary, config, cache, free_port()))
            print(f"start {i + 1}: cold cache {cold[-1]:.1f} ms, warm cache {warm[-1]:.1f} ms", flush=True)
    finally:
        shutil.rmtree(work)
    for name, times in (("cold cache (compiles)", cold), ("warm cache", warm)):
        print(f"{name}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(times)} starts")


if __name__ == "__main__":
    main()
