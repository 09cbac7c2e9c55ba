#!/usr/bin/env python3
"""Writes the four shared benchmark webhooks of this folder (text, status, batch20, non_ascii).

Compact JSON in Meta's shape, our own values, deterministic: running it again rewrites the same
bytes. Each file's bytes, exactly (no trailing newline), are the request body; sign them with
HMAC-SHA256 under the app secret `bench-app-secret`. Usage: python3 make-payloads.py [DIR]
"""
import base64
import hashlib
import json
import os
import sys

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15557710042"

SENDERS = [  # (name, wa_id, user_id)
    ("Marta Kowalczyk", "48501234567", "PL.17305529841103762284"),
    ("Daniel Okafor", "2348031234567", "NG.10492837465019283746"),
    ("Priya Raman", "919812345678", "IN.15938472610394857261"),
    ("Lucas Ferreira", "5511987654321", "BR.12093847561029384756"),
    ("Hannah Becker", "4915112345678", "DE.19283746501928374650"),
]


def wamid(seed: str) -> str:
    # Meta's ids are base64 of a protobuf-like blob; ours are a stable hash of a seed, same shape.
    blob = b"\x15\x02\x00\x12\x18\x14" + hashlib.sha256(seed.encode()).digest()[:26]
    return "wamid.HBgM" + base64.b64encode(blob).decode()


def contact(sender):
    name, wa_id, user_id = sender
    return {"profile": {"name": name}, "wa_id": wa_id, "user_id": user_id}


def text_message(sender, seq: int, body: str, timestamp: int):
    _, wa_id, user_id = sender
    return {"from": wa_id, "from_user_id": user_id, "id": wamid(f"{wa_id}/{seq}"),
            "timestamp": str(timestamp), "type": "text", "text": {"body": body}}


def envelope(value):
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
                  **value},
        "field": "messages"}]}]}


def dump(doc, ascii_only=True) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=ascii_only).encode("utf-8")


def text():
    s = SENDERS[0]
    body = ("Hi! I ordered the walnut desk lamp on Monday (order #A-20931) and tracking still says "
            "'label created'. Has it shipped yet?")
    return dump(envelope({"contacts": [contact(s)], "messages": [text_message(s, 1, body, 1750263773)]}))


def status():
    s = SENDERS[2]
    st = {"id": wamid("outbound/4711"), "status": "delivered", "timestamp": "1750263790",
          "recipient_id": s[1], "recipient_user_id": s[2],
          "conversation": {"id": "a9b3c07e52d14f6e8e1f7c2d3b4a5968", "origin": {"type": "service"}},
          "pricing": {"billable": False, "pricing_model": "PMP", "type": "free_customer_service",
                      "category": "service"}}
    return dump(envelope({"contacts": [contact(s)], "statuses": [st]}))


BATCH_BODIES = [
    "Good morning, is the store on Rua Augusta open on Sunday afternoons, or only on Saturdays until six?",
    "I would like to change the delivery address for my order to my office, the street number is 1180.",
    "The invoice I got by email shows the wrong tax number; could you send me a corrected copy please?",
    "Can I pay the remaining balance by bank transfer instead of card? My card keeps getting declined.",
    "Thank you for the quick reply yesterday, the replacement part arrived this morning and it fits well.",
]


def batch20():
    senders = SENDERS
    messages = []
    for i in range(20):
        s = senders[i % len(senders)]
        body = f"{BATCH_BODIES[(i * 3) % len(BATCH_BODIES)]} (message {i + 1} of 20, ticket 58{i:03d})"
        body = body + " Please let me know what the next steps are, and whether you need any more details from me."
        messages.append(text_message(s, 100 + i, body, 1750263800 + i * 7))
    return dump(envelope({"contacts": [contact(s) for s in senders], "messages": messages}))


def non_ascii():
    s = ("Zoë Müller", "41791234567", "CH.18273645509182736450")
    body = "Grüß Gott! Café crème für zwei. 日本語のメニューはありますか？ 🙏😊"
    return dump(envelope({"contacts": [contact(s)], "messages": [text_message(s, 7, body, 1750263900)]}),
                ascii_only=False)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, make in [("text", text), ("status", status), ("batch20", batch20), ("non_ascii", non_ascii)]:
        data = make()
        json.loads(data)
        with open(os.path.join(out, f"{name}.json"), "wb") as f:
            f.write(data)
        print(f"{name}.json {len(data)} bytes")


if __name__ == "__main__":
    main()
