// A stalled reader with the unmodified `centrifuge` SDK: the client stops reading its socket while its room gets a
// bounded stream of messages, more than the gateway's ring (gateway.ring.size, 256) holds once the gateway starts
// skipping batches for it, then reads again. The server tells it (unsubscribe push 2500 "insufficient state"); the
// SDK subscribes again by itself, recovering from history with its offset and epoch, and the app has every message,
// in order, with no gap and no code of its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { api, jsonEndpoint, mintToken, record, server, sleep } from '../lib/support.mjs';

const WAIT_MS = 30_000;
const clients = [];

after(() => {
  for (const c of clients) c.disconnect();
});

/** The gateway's count of messages skipped for unwritable members, from the admin port's /metrics. */
async function skipped() {
  const res = await fetch(`http://${server.host}:${process.env.INTEROP_ADMIN_PORT}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('danmaku_gateway_drops_total{') && l.includes('reason="unwritable"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Publishes messages `from`..`from+count-1` as one server API batch; returns the last offset. */
async function publish(room, from, count) {
  const commands = [];
  for (let i = from; i < from + count; i++) {
    // random: the SDK's socket negotiates permessage-deflate, and a repetitive pad would shrink to nothing
    commands.push({ publish: { channel: room, data: { cmd: 'STALL_TEST', seq: i, pad: randomBytes(375).toString('base64') } } });
  }
  const { status, body } = await api('batch', { commands });
  assert.equal(status, 200, `batch answered ${status}`);
  for (const r of body.replies) {
    assert.ok(r.publish, `a publish failed: ${JSON.stringify(r).slice(0, 300)}`);
  }
  return body.replies[body.replies.length - 1].publish.offset;
}

test('a stalled SDK client that missed more than the ring is told (2500), resubscribes and recovers everything', { timeout: 120_000 }, async () => {
  const room = `stall-${Date.now().toString(36)}`;
  const centrifuge = new Centrifuge(jsonEndpoint, {
    websocket: WebSocket, minReconnectDelay: 100, maxReconnectDelay: 1000, token: mintToken('stall-viewer'),
  });
  clients.push(centrifuge);
  const sub = centrifuge.newSubscription(room);
  const subscribed = record(sub, 'subscribed');
  const subscribing = record(sub, 'subscribing');
  const seqs = [];
  sub.on('publication', (ctx) => seqs.push(ctx.data.seq));
  sub.subscribe();
  centrifuge.connect();
  await subscribed.until((s) => s.length >= 1, WAIT_MS, 'should subscribe');
  assert.equal(subscribed.items[0].positioned, true, 'the subscription is positioned');

  // stop reading: the socket's buffers fill up, then the gateway's write buffer, then batches are skipped
  const socket = centrifuge._transport._transport._socket;
  socket.pause();
  const before = await skipped();
  let n = 0;
  let last = 0;
  while (await skipped() === before) {
    assert.ok(n < 30_000, `the stalled client never became unwritable (${n} messages published)`);
    last = await publish(room, n, 100);
    n += 100;
    await sleep(20);
  }
  // more than the ring (256) holds, fewer than history (1000) does
  for (let i = 0; i < 4; i++) {
    last = await publish(room, n, 100);
    n += 100;
  }
  // history (written by storage) has all of them before the client reads again
  for (let i = 0; ; i++) {
    const { body } = await api('history', { channel: room, limit: 0 });
    if (body.result && body.result.offset >= last) break;
    assert.ok(i < 100, 'history should reach the last offset');
    await sleep(100);
  }

  socket.resume();
  await subscribing.until((s) => s.some((e) => e.code === 2500), WAIT_MS, 'should be told 2500');
  await subscribed.until((s) => s.length >= 2, WAIT_MS, 'should subscribe again');
  const again = subscribed.items[1];
  assert.equal(again.wasRecovering, true, 'the SDK asked to recover');
  assert.equal(again.recovered, true, 'recovered from history');
  const want = Array.from({ length: n }, (_, i) => i);
  const deadline = Date.now() + WAIT_MS;
  while (seqs.length < n && Date.now() < deadline) await sleep(50);
  assert.deepEqual(seqs, want, 'every message, in order, no gap, no duplicate');
});
