// The unidirectional transports with off-the-shelf readers: the `eventsource` package on /connection/uni_sse and
// a fetch() stream reader on /connection/uni_http_stream. Both get the connect push first, then the room's
// publications (posted through the server API), and recover what they missed after a reconnect by offset/epoch.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import { apiPublish, httpBase, mintToken, uniqueRoom, within } from '../lib/support.mjs';

const WAIT_MS = 8000;
const open = [];

after(() => {
  for (const c of open) c.close();
});

/** Pushes as they arrive, with a wait for the first that satisfies a condition. */
function pushQueue() {
  const items = [];
  const waiters = new Set();
  return {
    items,
    add(push) {
      items.push(push);
      for (const w of [...waiters]) w();
    },
    until(condition, what) {
      let check;
      const met = new Promise((resolve) => {
        check = () => {
          const found = items.find(condition);
          if (found !== undefined) {
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        check();
      });
      return within(WAIT_MS, () => `${what}; saw ${JSON.stringify(items).slice(0, 600)}`, met)
        .finally(() => waiters.delete(check));
    },
  };
}

/** An EventSource on uni_sse with `connect` (the connect request) in cf_connect. */
function sse(connect) {
  const pushes = pushQueue();
  const url = `${httpBase}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify(connect))}`;
  const es = new EventSource(url);
  es.onmessage = (e) => pushes.add(JSON.parse(e.data));
  const reader = { pushes, close: () => es.close() };
  open.push(reader);
  return reader;
}

/** A fetch() reader of uni_http_stream: newline-delimited JSON pushes. */
async function httpStream(connect) {
  const pushes = pushQueue();
  const controller = new AbortController();
  const res = await fetch(`${httpBase}/connection/uni_http_stream`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(connect),
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-accel-buffering'), 'no');
  const decoder = new TextDecoder();
  let buffered = '';
  (async () => {
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) pushes.add(JSON.parse(line));
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  const reader = { pushes, close: () => controller.abort() };
  open.push(reader);
  return reader;
}

const textOf = (p) => p.pub && p.pub.data && p.pub.data.text;

describe('unidirectional transports', { timeout: 60_000 }, () => {
  test('an EventSource on uni_sse receives the connect push, then the room\'s messages', async () => {
    const room = uniqueRoom('uni-sse');
    const reader = sse({ token: mintToken('sse-reader'), subs: { [room]: {} } });
    const connect = await reader.pushes.until((p) => p.connect, 'a connect push');
    assert.ok(connect.connect.client, 'the connect push names the client');
    assert.ok(connect.connect.subs && connect.connect.subs[room], `the room is in the connect push: ${JSON.stringify(connect)}`);
    const tag = `sse-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await apiPublish(room, { text: `${tag} #${i}` });
    await reader.pushes.until((p) => textOf(p) === `${tag} #2`, 'the third message');
    const got = reader.pushes.items.filter((p) => p.pub).map(textOf);
    assert.deepEqual(got, [`${tag} #0`, `${tag} #1`, `${tag} #2`]);
    for (const p of reader.pushes.items.filter((x) => x.pub)) assert.equal(p.channel, room);
    reader.close();
  });

  test('a fetch reader on uni_http_stream receives the room\'s messages as newline-delimited JSON', async () => {
    const room = uniqueRoom('uni-stream');
    const reader = await httpStream({ subs: { [room]: {} } });
    await reader.pushes.until((p) => p.connect, 'a connect push');
    const tag = `stream-${randomUUID().slice(0, 8)}`;
    await apiPublish(room, { text: `${tag} a` });
    await apiPublish(room, { text: `${tag} b` });
    await reader.pushes.until((p) => textOf(p) === `${tag} b`, 'the second message');
    assert.deepEqual(reader.pushes.items.filter((p) => p.pub).map(textOf), [`${tag} a`, `${tag} b`]);
    reader.close();
  });

  test('a reader that reconnects with offset and epoch recovers what it missed', async () => {
    const room = uniqueRoom('uni-recover');
    const first = sse({ subs: { [room]: {} } });
    const connect = await first.pushes.until((p) => p.connect, 'a connect push');
    const epoch = connect.connect.subs[room].epoch;
    const tag = `recover-${randomUUID().slice(0, 8)}`;
    await apiPublish(room, { text: `${tag} seen` });
    const seen = await first.pushes.until((p) => textOf(p) === `${tag} seen`, 'the first message');
    first.close();
    await apiPublish(room, { text: `${tag} missed 1` });
    await apiPublish(room, { text: `${tag} missed 2` });
    const again = await httpStream({ subs: { [room]: { recover: true, offset: seen.pub.offset, epoch } } });
    const back = await again.pushes.until((p) => p.connect, 'a connect push after the reconnect');
    const sub = back.connect.subs[room];
    assert.equal(sub.was_recovering, true, JSON.stringify(sub));
    assert.equal(sub.recovered, true, JSON.stringify(sub));
    assert.deepEqual((sub.publications || []).map((p) => p.data.text), [`${tag} missed 1`, `${tag} missed 2`]);
    await apiPublish(room, { text: `${tag} live` });
    await again.pushes.until((p) => textOf(p) === `${tag} live`, 'a live message after the recovery');
    again.close();
  });

  test('a bad connect request is 400, a bad token a disconnect push', async () => {
    const bad = await fetch(`${httpBase}/connection/uni_http_stream`, { method: 'POST', body: '{' });
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), '');
    const refused = await httpStream({ token: 'not-a-token' });
    const d = await refused.pushes.until((p) => p.disconnect, 'a disconnect push');
    assert.equal(d.disconnect.code, 3500);
    refused.close();
  });
});
