// Shared helpers for the interop tests: where the server is, tokens, the server API, bounded waits.
// The server is started by interop/run.sh, which passes its ports and secrets in the environment.
import { createHmac, randomBytes } from 'node:crypto';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the interop tests through interop/run.sh, which starts the server`);
  }
  return value;
}

export const server = {
  host: '127.0.0.1',
  port: Number(required('INTEROP_GATEWAY_PORT')),
  adminPort: Number(required('INTEROP_ADMIN_PORT')),
  secret: required('INTEROP_TOKEN_SECRET'),
  apiKey: required('INTEROP_API_KEY'),
};
export const httpBase = `http://${server.host}:${server.port}`;
export const jsonEndpoint = `ws://${server.host}:${server.port}/connection/websocket`;
export const bilibiliEndpoint = `ws://${server.host}:${server.port}/sub`;

/** A room id no other test (or earlier run against the same server) uses. */
export function uniqueRoom(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A numeric Bilibili room id no other test uses. */
export function uniqueRoomId() {
  return 100_000_000 + randomBytes(4).readUInt32BE(0) % 900_000_000;
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An HS256 connection token for user `sub`, signed with `secret` (the server's unless given). */
export function mintToken(sub, { name, secret = server.secret, ...claims } = {}) {
  const payload = { sub, ...(name === undefined ? {} : { name }), exp: Math.floor(Date.now() / 1000) + 3600, ...claims };
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** POSTs to the server API; returns {status, body}. */
export async function api(method, body, { apiKey = server.apiKey } = {}) {
  const res = await fetch(`${httpBase}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** Publishes `data` to `channel` through the server API and fails unless it was accepted. */
export async function apiPublish(channel, data) {
  const { status, body } = await api('publish', { channel, data });
  if (status !== 200 || !body || !body.result) {
    throw new Error(`POST /api/publish to ${channel} answered ${status}: ${JSON.stringify(body)}`);
  }
  return body.result;
}

/**
 * Settles like `promise`, or rejects after `ms` with `message` (a string, or a function called at that
 * moment, so the message can say what was seen so far).
 */
export function within(ms, message, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const text = typeof message === 'function' ? message() : message;
      reject(new Error(`timed out after ${ms} ms: ${text}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records every `event` of `emitter` (mapped by `map`) so that a test can wait until what it saw satisfies a
 * condition: `await rec.until(items => items.length >= 3, 5000, 'three messages')`.
 */
export function record(emitter, event, map = (x) => x) {
  const items = [];
  const waiters = new Set();
  const listener = (...args) => {
    items.push(map(...args));
    for (const check of [...waiters]) check();
  };
  emitter.on(event, listener);
  return {
    items,
    until(condition, ms, what) {
      let check;
      const met = new Promise((resolve) => {
        check = () => {
          if (condition(items)) {
            waiters.delete(check);
            resolve(items);
          }
        };
        waiters.add(check);
        check();
      });
      return within(ms, () => `${what}; saw ${items.length} ${event} event(s): ${preview(items)}`, met)
        .finally(() => waiters.delete(check));
    },
    stop() {
      emitter.removeListener ? emitter.removeListener(event, listener) : emitter.off(event, listener);
    },
  };
}

/** Waits until `probe()` (sync or async) returns a truthy value, polling every `everyMs`. */
export async function eventually(probe, ms, what, everyMs = 200) {
  let last;
  let stop = false;
  const loop = (async () => {
    for (;;) {
      last = await probe();
      if (last || stop) return last;
      await sleep(everyMs);
    }
  })();
  try {
    return await within(ms, () => `${what}; last probe: ${preview(last)}`, loop);
  } finally {
    stop = true;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function preview(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text === undefined ? 'undefined' : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
