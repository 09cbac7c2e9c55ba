// Peer microbenchmark: whatsapp-api-js verifying and dispatching the shared signed webhooks of
// bench/payloads, the way its own middlewares do for each request:
//   await api.post(JSON.parse(body), body, signature)
// (HMAC-SHA256 check with WebCrypto, then the on.message / on.status callback), with callbacks
// that build one small event object per dispatched message or status.
//
// Prints one JSON line per payload on stdout:
//   {"peer":"whatsapp-api-js","payload":"text","median_us":..,"rounds":[..],...}
// median_us is the median of the round medians; rounds holds each round's median µs per webhook;
// spread_us is [min, max] of the round medians.
//
// Env: ROUNDS (default 5), ITERATIONS per round and payload (default 2000), WARMUP (default
// ITERATIONS), PAYLOADS (comma-separated names, default all four).
// Usage: node bench/peers/whatsapp-api-js/bench.mjs   (after `npm ci` in this folder)
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { WhatsAppAPI } from "whatsapp-api-js";
import { WhatsAppAPIFailedToVerifyError } from "whatsapp-api-js/errors";

const APP_SECRET = "bench-app-secret";
const PAYLOAD_DIR = new URL("../../payloads/", import.meta.url);
const ROUNDS = positiveInt("ROUNDS", 5);
const ITERATIONS = positiveInt("ITERATIONS", 2000);
const WARMUP = positiveInt("WARMUP", ITERATIONS);
const NAMES = (process.env.PAYLOADS || "text,status,batch20,non_ascii").split(",").filter(Boolean);

const LIB_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/whatsapp-api-js/package.json", import.meta.url), "utf-8"),
).version;

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

// The events the callbacks build: kept in a ring so the work is not optimised away.
let dispatched = 0;
const ring = new Array(64);
function emit(event) {
  ring[dispatched++ & 63] = event;
}

const api = new WhatsAppAPI({ token: "bench-token", appSecret: APP_SECRET, v: "v23.0" });
api.on.message = ({ phoneID, from, name, message }) => {
  emit({
    type: "message.received",
    phoneNumberId: phoneID,
    externalId: message.id,
    chatId: from,
    from,
    name,
    timestamp: message.timestamp,
    content: { type: message.type, text: message.text?.body },
  });
};
api.on.status = ({ phoneID, phone, status, id, timestamp, conversation, pricing }) => {
  emit({
    type: `message.${status}`,
    phoneNumberId: phoneID,
    externalId: id,
    chatId: phone,
    at: timestamp,
    conversationId: conversation?.id,
    billable: pricing?.billable,
  });
};

function sign(bytes) {
  return "sha256=" + createHmac("sha256", APP_SECRET).update(bytes).digest("hex");
}

function loadPayload(name) {
  const bytes = readFileSync(new URL(`${name}.json`, PAYLOAD_DIR));
  // As its node-http middleware reads a request: the raw bytes decoded as UTF-8.
  const body = bytes.toString("utf-8");
  const value = JSON.parse(body).entry[0].changes[0].value;
  return {
    name,
    bytes: bytes.length,
    body,
    // What Meta sends: the signature of the exact bytes on the wire.
    signature: sign(bytes),
    items: (value.messages?.length ?? 0) + (value.statuses?.length ?? 0),
    ascii: !/[^\x00-\x7f]/.test(body),
  };
}

// One webhook, as the middlewares do it. Returns true when verified and dispatched, false when
// the library rejected the signature.
async function handle(p, signature = p.signature) {
  try {
    await api.post(JSON.parse(p.body), p.body, signature);
    return true;
  } catch (error) {
    if (error instanceof WhatsAppAPIFailedToVerifyError) return false;
    throw error;
  }
}

// Signs the body the way this library checks it (non-ASCII re-escaped as \uXXXX) to tell a
// signature trap from another failure; not part of the timed path.
function escapedSignature(body) {
  const escaped = body.replace(/[^\0-~]/g, (ch) => "\\u" + ("000" + ch.charCodeAt(0).toString(16)).slice(-4));
  return sign(Buffer.from(escaped, "utf-8"));
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

async function timedRun(p, iterations) {
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await handle(p);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  samples.sort();
  return median(samples);
}

const round2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const payloads = NAMES.map(loadPayload);
  for (const p of payloads) {
    const before = dispatched;
    p.verified = await handle(p);
    p.events = dispatched - before;
    if (!p.verified) p.verifiedIfSignedEscaped = await handle(p, escapedSignature(p.body));
  }
  for (const p of payloads) await timedRun(p, WARMUP);
  // Rounds interleave the payloads, so slow drift of the machine spreads over all of them.
  const rounds = new Map(payloads.map((p) => [p.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of payloads) rounds.get(p.name).push(await timedRun(p, ITERATIONS));
  }
  for (const p of payloads) {
    const medians = rounds.get(p.name);
    const sorted = [...medians].sort((a, b) => a - b);
    const line = {
      peer: "whatsapp-api-js",
      version: LIB_VERSION,
      runtime: `node ${process.version}`,
      payload: p.name,
      bytes: p.bytes,
      verified: p.verified,
      items_in_payload: p.items,
      events_per_webhook: p.events,
      median_us: round2(median(sorted)),
      spread_us: [round2(sorted[0]), round2(sorted[sorted.length - 1])],
      rounds: medians.map(round2),
      iterations: ITERATIONS,
    };
    if (!p.verified) {
      line.note =
        "signature of the raw UTF-8 body rejected (the library re-escapes non-ASCII as \\uXXXX before the HMAC); " +
        "timings are of the rejection path";
      line.verified_if_signed_escaped = p.verifiedIfSignedEscaped;
    } else if (p.events < p.items) {
      line.note = `dispatches only the first of ${p.items} items`;
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}

await main();
