// End-to-end peer for bench/load: whatsapp-api-js behind node:http, doing the work that
// `omni-host serve --events jsonl:PATH` does for a webhook: read the raw body, verify and
// dispatch it with `await api.post(JSON.parse(body), body, signature)` (what the library's own
// middlewares call), append one JSON event line per dispatched message or status to a file
// (written before the answer, as serve flushes its line before answering), answer 200 with
// {"received":N}; 401 on a bad or missing signature.
//
// Routes: POST /webhooks/whatsapp-cloud/{instance} (the same path as serve), GET of that path
// for Meta's verification handshake, GET /healthz.
//
// Usage: node bench/peers/node-http/server.mjs PORT [--events PATH] [--secret S] [--instance ID]
//   defaults: events /dev/null, secret load-secret, instance load, host 127.0.0.1 (--host H).
// Needs `npm ci` in bench/peers/whatsapp-api-js (the library is loaded from its node_modules).
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const LIB = new URL("../whatsapp-api-js/node_modules/whatsapp-api-js/lib/", import.meta.url);
const { WhatsAppAPI } = await import(new URL("index.js", LIB));
const { WhatsAppAPIError, WhatsAppAPIFailedToVerifyError } = await import(new URL("errors.js", LIB));

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: "string", default: "/dev/null" },
    secret: { type: "string", default: "load-secret" },
    instance: { type: "string", default: "load" },
    host: { type: "string", default: "127.0.0.1" },
    "verify-token": { type: "string", default: "load-verify" },
  },
});
const port = Number(positionals[0]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: node server.mjs PORT [--events PATH] [--secret S] [--instance ID] [--host H]");
  process.exit(2);
}

const MAX_BODY = 3 * 1024 * 1024; // Meta's upper bound, the library middlewares' limit too.
const WEBHOOK_PATH = `/webhooks/whatsapp-cloud/${opts.instance}`;
const CHANNEL = "whatsapp-cloud";
const events = createWriteStream(opts.events, { flags: "a" });
events.on("error", (error) => {
  console.error(`events file: ${error.message}`);
  process.exit(1);
});

const api = new WhatsAppAPI({
  token: "EAAload",
  appSecret: opts.secret,
  webhookVerifyToken: opts["verify-token"],
  v: "v23.0",
});

// One omni-shaped event, as serve writes it (event, subject, instance, metadata, payload with the
// raw message), so both servers serialise and write a comparable line.
function event(name, at, correlationId, payload) {
  return {
    id: randomUUID(),
    event: name,
    subject: `${name}.${CHANNEL}.${opts.instance}`,
    instanceId: opts.instance,
    channelType: CHANNEL,
    timestamp: at,
    metadata: {
      channelType: CHANNEL,
      correlationId,
      instanceId: opts.instance,
      source: `channel:${CHANNEL}`,
      timings: { channel: Date.now(), platform: at },
    },
    payload,
  };
}

// The callbacks return the event lines; post() hands back what the callback returned.
api.on.message = ({ from, message }) => {
  const at = Number(message.timestamp) * 1000;
  return [
    event("message.received", at, message.id, {
      chatId: `${from}@s.whatsapp.net`,
      content: message.type === "text" ? { text: message.text?.body, type: "text" } : { type: message.type },
      externalId: message.id,
      from,
      rawPayload: message,
    }),
  ];
};
api.on.status = ({ phone, status, id, timestamp, conversation, pricing }) => {
  const at = Number(timestamp) * 1000;
  return [
    event(`message.${status}`, at, id, {
      chatId: `${phone}@s.whatsapp.net`,
      conversation,
      [`${status}At`]: at,
      externalId: id,
      pricing,
    }),
  ];
};

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let received = 0;
    req.on("data", (chunk) => {
      received += chunk.length;
      if (received > MAX_BODY) {
        reject(Object.assign(new Error("payload too large"), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf-8")));
    req.on("error", reject);
  });
}

function append(lines) {
  return new Promise((resolve, reject) => {
    events.write(lines, (error) => (error ? reject(error) : resolve()));
  });
}

async function webhook(req, res) {
  const signature = req.headers["x-hub-signature-256"];
  if (typeof signature !== "string") return answer(res, 401, { error: "missing signature" });
  const body = await readBody(req);
  let published;
  try {
    published = await api.post(JSON.parse(body || "{}"), body, signature);
  } catch (error) {
    if (error instanceof WhatsAppAPIFailedToVerifyError) return answer(res, 401, { error: "bad signature" });
    if (error instanceof SyntaxError) return answer(res, 400, { error: "malformed JSON" });
    if (error instanceof WhatsAppAPIError) return answer(res, error.httpStatus, { error: error.message });
    throw error;
  }
  const list = Array.isArray(published) ? published : [];
  if (list.length) await append(list.map((e) => JSON.stringify(e) + "\n").join(""));
  answer(res, 200, { received: list.length });
}

const server = createServer(async (req, res) => {
  try {
    const path = req.url.split("?", 1)[0];
    if (path === WEBHOOK_PATH && req.method === "POST") return await webhook(req, res);
    if (path === WEBHOOK_PATH && req.method === "GET") {
      const query = Object.fromEntries(new URL(req.url, "http://localhost").searchParams);
      try {
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end(String(api.get(query)));
      } catch (error) {
        return answer(res, error instanceof WhatsAppAPIError ? error.httpStatus : 500, { error: "verification failed" });
      }
    }
    if (path === "/healthz" && req.method === "GET") return answer(res, 200, { status: "ok", peer: "whatsapp-api-js" });
    answer(res, 404, { error: "not found" });
  } catch (error) {
    if (!res.headersSent) answer(res, error.status ?? 500, { error: error.message });
    else res.destroy();
  }
});
server.keepAliveTimeout = 10_000; // serve's --header-timeout default
server.listen(port, opts.host);

function stop() {
  server.close(() => events.end(() => process.exit(0)));
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(0), 15_000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
