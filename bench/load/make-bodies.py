#!/usr/bin/env python3
"""Writes N signed text-message webhooks, one per line: `<X-Hub-Signature-256>\t<body>`.

Each body carries its own wamid, so the event bus sees distinct events. Bodies are compact,
ASCII-only JSON (whatsapp-api-js, the node peer, re-escapes non-ASCII before its HMAC check and
would reject literal UTF-8) and every contact has `user_id` (the BSUID, which pywa 4.5 requires).
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
                "contacts": [{"profile": {"name": "Load Test"}, "wa_id": "16315551234",
                              "user_id": "US.13491208655302741918"}],
                "messages": [{"from": "16315551234", "from_user_id": "US.13491208655302741918",
                              "id": f"wamid.LOAD{i:08d}", "timestamp": "1750263773",
                              "type": "text", "text": {"body": f"load test message {i}"}}],
            }}]}],
        }, separators=(",", ":"), ensure_ascii=True)
        assert body.isascii() and "\t" not in body and "\n" not in body
        signature = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(f"{signature}\t{body}\n")
