#!/usr/bin/env python3
"""Writes N signed text-message webhooks, one per line: `<X-Hub-Signature-256>\t<body>`.

Each body carries its own wamid, so the event bus sees distinct events.
Usage: make-bodies.py APP_SECRET N OUT
"""
import hashlib
import hmac
import json
import sys

secret, count, out = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
with open(out, "w") as f:
    for i in range(count):
        body = json.dumps({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Load Test"}, "wa_id": "16315551234"}],
                "messages": [{"from": "16315551234", "id": f"wamid.LOAD{i:08d}", "timestamp": "1750263773",
                              "type": "text", "text": {"body": f"load test message {i}"}}],
            }}]}],
        }, separators=(",", ":"))
        signature = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(f"{signature}\t{body}\n")
