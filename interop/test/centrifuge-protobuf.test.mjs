// The unmodified `centrifuge` JavaScript SDK's Protobuf build (`centrifuge/build/protobuf`: WebSocket subprotocol
// centrifuge-protobuf, binary frames of varint-delimited Command/Reply messages) against the server. Publication
// data travels as bytes: the server sends the same JSON body the JSON protocol embeds, the client publishes JSON
// bytes. Its users are its own (pb-…): user rate limits are per user, and the JSON tests post at the same time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Centrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { eventually, jsonEndpoint, mintToken, record, uniqueRoom } from '../lib/support.mjs';

const WAIT_MS = 8000;
const clients = [];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

after(() => {
  for (const c of clients) c.disconnect();
});

function websocketClass(sockets) {
  return class RecordingWebSocket extends WebSocket {
    constructor(address, protocols, options) {
      super(address, protocols, options);
      sockets.push(this);
    }
  };
}

/** A connected Protobuf SDK client subscribed to `room`, with what it receives recorded (data decoded from JSON). */
async function join(user, room) {
  const sockets = [];
  const options = { websocket: websocketClass(sockets), minReconnectDelay: 100, maxReconnectDelay: 1000 };
  if (user) options.token = mintToken(user, { name: `name of ${user}` });
  const centrifuge = new Centrifuge(jsonEndpoint, options);
  clients.push(centrifuge);
  const disconnects = record(centrifuge, 'disconnected');
  const sub = centrifuge.newSubscription(room);
  const pubs = record(sub, 'publication', (ctx) => {
    assert.ok(ctx.data instanceof Uint8Array, 'Protobuf publication data arrives as bytes');
    const data = JSON.parse(decoder.decode(ctx.data));
    return { text: data.text, offset: ctx.offset, data };
  });
  const subscribed = record(sub, 'subscribed');
  const errors = record(sub, 'error', (ctx) => ctx.error);
  sub.subscribe();
  centrifuge.connect();
  await subscribed.until((s) => s.length >= 1, WAIT_MS,
    `${user || 'anonymous'} should be subscribed to ${room} (subscription errors: ${JSON.stringify(errors.items)}, ` +
    `disconnects: ${JSON.stringify(disconnects.items)})`);
  return { user, centrifuge, sub, pubs, subscribed, disconnects, sockets };
}

function post(member, text) {
  return member.sub.publish(encoder.encode(JSON.stringify({ text, clientMsgId: randomUUID() })));
}

function texts(member, tag) {
  return member.pubs.items.filter((p) => typeof p.text === 'string' && p.text.startsWith(tag)).map((p) => p.text);
}

/** Opens a raw WebSocket offering centrifuge-protobuf; resolves with the socket once open. */
function rawProtobuf() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(jsonEndpoint, 'centrifuge-protobuf');
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closeOf(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('centrifuge SDK, Protobuf build', { timeout: 60_000 }, () => {
  test('negotiates centrifuge-protobuf, publishes and receives every post in order', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('pb-order');
    const alice = await join('pb-alice', room);
    const bob = await join('pb-bob', room);
    assert.equal(alice.sockets.at(-1).protocol, 'centrifuge-protobuf', 'the server chose the Protobuf subprotocol');
    const tag = `pb-${randomUUID().slice(0, 8)}`;
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const text = `${tag} #${i} 弹幕`;
      await post(alice, text);
      sent.push(text);
    }
    for (const member of [alice, bob]) {
      await member.pubs.until((items) => texts(member, tag).length >= sent.length, WAIT_MS,
        `${member.user} should receive the ${sent.length} posts`);
      assert.deepEqual(texts(member, tag), sent);
    }
    const offsets = bob.pubs.items.map((p) => p.offset);
    for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] > offsets[i - 1], `offsets increase: ${offsets}`);
    const data = bob.pubs.items[0].data;
    assert.equal(data.user.id, 'pb-alice');
    assert.equal(data.room, undefined, 'the lean body: no room inside data');
  });

  test('a client that reconnects recovers the posts it missed (offset and epoch)', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('pb-recover');
    const carol = await join('pb-carol', room);
    const dave = await join('pb-dave', room);
    const tag = `pbrec-${randomUUID().slice(0, 8)}`;
    await post(carol, `${tag} before`);
    await dave.pubs.until((items) => texts(dave, tag).length >= 1, WAIT_MS, 'dave should receive the first post');
    dave.centrifuge.disconnect();
    const missed = [`${tag} missed 0`, `${tag} missed 1`];
    for (const text of missed) await post(carol, text);
    await carol.pubs.until(() => texts(carol, tag).length >= 3, WAIT_MS, 'carol should receive her own posts');
    dave.centrifuge.connect();
    const [, again] = await dave.subscribed.until((s) => s.length >= 2, WAIT_MS, 'dave should subscribe again');
    assert.equal(again.wasRecovering, true, 'the SDK asked to recover its position');
    assert.equal(again.recovered, true, 'the server recovered every missed post');
    await dave.pubs.until(() => texts(dave, tag).length >= 3, WAIT_MS, 'dave should receive the missed posts');
    assert.deepEqual(texts(dave, tag), [`${tag} before`, ...missed]);
  });

  test('presence and presence stats list the members', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('pb-presence');
    const erin = await join('pb-erin', room);
    await join('pb-frank', room);
    await eventually(async () => {
      const s = await erin.sub.presenceStats();
      return s.numClients === 2 && s.numUsers === 2;
    }, 10_000, 'presenceStats() should report the two connected clients');
    await eventually(async () => {
      const p = await erin.sub.presence();
      const users = Object.values(p.clients).map((c) => c.user).sort();
      return users.length === 2 && users[0] === 'pb-erin' && users[1] === 'pb-frank';
    }, 10_000, 'presence() should list erin and frank');
  });

  test('a malformed length prefix closes with 3501 and a text frame with 1003', { timeout: 15_000 }, async () => {
    const a = await rawProtobuf();
    assert.equal(a.protocol, 'centrifuge-protobuf');
    const closedA = closeOf(a);
    a.send(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])); // a varint longer than 5 bytes
    const ca = await closedA;
    assert.equal(ca.code, 3501);
    assert.match(ca.reason, /malformed length prefix/);

    const b = await rawProtobuf();
    const closedB = closeOf(b);
    b.send(Buffer.from([0x0a, 0x08, 0x01])); // says 10 bytes, has 2
    assert.equal((await closedB).code, 3501);

    const c = await rawProtobuf();
    const closedC = closeOf(c);
    c.send('{"id":1,"connect":{}}');
    const cc = await closedC;
    assert.equal(cc.code, 1003);
    assert.match(cc.reason, /centrifuge-protobuf/);
  });
});
