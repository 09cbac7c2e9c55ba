#!/usr/bin/env python3
"""Peer microbenchmark: pywa verifying and dispatching the shared signed webhooks of bench/payloads.

Per webhook it does what pywa's own server integrations (Flask, FastAPI, Starlette) do for a POST:
``webhook_update_validator(update=body, hmac_header=sig)`` and, when that passes,
``webhook_update_handler(update=body)``; handlers registered with ``on_message`` and
``on_message_status`` build one small event dict per dispatched message or status.

Prints one JSON line per payload on stdout:
  {"peer":"pywa","payload":"text","median_us":..,"rounds":[..],...}
median_us is the median of the round medians; rounds holds each round's median µs per webhook;
spread_us is [min, max] of the round medians.

Env: ROUNDS (default 5), ITERATIONS per round and payload (default 2000), WARMUP (default
ITERATIONS), PAYLOADS (comma-separated names, default all four).
Usage: bash bench/peers/pywa/run.sh   (makes the venv), or python bench.py inside it.
"""
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pywa
from pywa import WhatsApp, types

APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"
PAYLOAD_DIR = Path(__file__).resolve().parent.parent.parent / "payloads"


def positive_int(name: str, fallback: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return fallback
    value = int(raw)
    if value < 1:
        raise SystemExit(f"{name} must be a positive integer, got {raw}")
    return value


ROUNDS = positive_int("ROUNDS", 5)
ITERATIONS = positive_int("ITERATIONS", 2000)
WARMUP = positive_int("WARMUP", ITERATIONS)
NAMES = [n for n in os.environ.get("PAYLOADS", "text,status,batch20,non_ascii").split(",") if n]

# No token: pywa builds no API client and makes no network call; phone_id only filters updates
# by metadata.phone_number_id, as a configured bot does.
wa = WhatsApp(
    phone_id=PHONE_NUMBER_ID,
    app_secret=APP_SECRET,
    validate_updates=True,
    skip_duplicate_updates=False,
)

# The events the handlers build: kept in a ring so the work is not optimised away.
dispatched = 0
ring: list = [None] * 64


def emit(event: dict) -> None:
    global dispatched
    ring[dispatched & 63] = event
    dispatched += 1


@wa.on_message()
def on_message(_: WhatsApp, msg: types.Message) -> None:
    emit({
        "type": "message.received",
        "phoneNumberId": msg.metadata.phone_number_id,
        "externalId": msg.id,
        "chatId": msg.from_user.wa_id,
        "from": msg.from_user.bsuid,
        "name": msg.from_user.name,
        "timestamp": msg.timestamp,
        "content": {"type": str(msg.type), "text": msg.text},
    })


@wa.on_message_status()
def on_status(_: WhatsApp, status: types.MessageStatus) -> None:
    emit({
        "type": f"message.{status.status}",
        "phoneNumberId": status.metadata.phone_number_id,
        "externalId": status.id,
        "chatId": status.from_user.wa_id,
        "at": status.timestamp,
        "conversationId": status.conversation.id if status.conversation else None,
        "billable": status.pricing.billable if status.pricing else None,
    })


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def load(name: str) -> dict:
    body = (PAYLOAD_DIR / f"{name}.json").read_bytes()
    value = json.loads(body)["entry"][0]["changes"][0]["value"]
    return {
        "name": name,
        "body": body,
        "signature": sign(body),
        "items": len(value.get("messages", [])) + len(value.get("statuses", [])),
    }


def handle(p: dict) -> bool:
    """One webhook as pywa's integrations handle it; False when the signature is rejected."""
    if wa.webhook_update_validator(update=p["body"], hmac_header=p["signature"]):
        return False
    _, status = wa.webhook_update_handler(update=p["body"])
    if status != 200:
        raise RuntimeError(f"{p['name']}: webhook_update_handler answered {status}")
    return True


def timed_run(p: dict, iterations: int) -> float:
    samples = [0.0] * iterations
    clock = time.perf_counter_ns
    for i in range(iterations):
        start = clock()
        handle(p)
        samples[i] = (clock() - start) / 1000
    return statistics.median(samples)


def main() -> None:
    payloads = [load(n) for n in NAMES]
    for p in payloads:
        before = dispatched
        p["verified"] = handle(p)
        p["events"] = dispatched - before
    for p in payloads:
        timed_run(p, WARMUP)
    # Rounds interleave the payloads, so slow drift of the machine spreads over all of them.
    rounds: dict[str, list[float]] = {p["name"]: [] for p in payloads}
    for _ in range(ROUNDS):
        for p in payloads:
            rounds[p["name"]].append(timed_run(p, ITERATIONS))
    for p in payloads:
        medians = rounds[p["name"]]
        line = {
            "peer": "pywa",
            "version": pywa.__version__,
            "runtime": f"{platform.python_implementation()} {platform.python_version()}",
            "payload": p["name"],
            "bytes": len(p["body"]),
            "verified": p["verified"],
            "items_in_payload": p["items"],
            "events_per_webhook": p["events"],
            "median_us": round(statistics.median(medians), 2),
            "spread_us": [round(min(medians), 2), round(max(medians), 2)],
            "rounds": [round(m, 2) for m in medians],
            "iterations": ITERATIONS,
        }
        if not p["verified"]:
            line["note"] = "signature rejected; timings are of the rejection path"
        elif p["events"] == 0:
            line["note"] = "verified but no handler ran (pywa dropped the update)"
        elif p["events"] < p["items"]:
            line["note"] = f"dispatches only the first of {p['items']} items"
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
