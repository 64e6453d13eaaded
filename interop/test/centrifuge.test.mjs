// The unmodified `centrifuge` JavaScript SDK (Centrifugo client protocol v2, JSON) against the server.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { api, apiPublish, eventually, jsonEndpoint, mintToken, record, uniqueRoom } from '../lib/support.mjs';

const WAIT_MS = 8000;
const clients = [];

after(() => {
  for (const c of clients) c.disconnect();
});

/**
 * The `ws` client the SDK is given, remembering its sockets (to read what was negotiated). `ws` offers
 * permessage-deflate by default and compresses messages of 1 KiB or more; with `compressAll` every message it
 * sends is compressed.
 */
function websocketClass(sockets, compressAll) {
  return class RecordingWebSocket extends WebSocket {
    constructor(address, protocols, options) {
      super(address, protocols, compressAll ? { ...options, perMessageDeflate: { threshold: 0 } } : options);
      sockets.push(this);
    }
  };
}

/** A connected SDK client (anonymous when `user` is null) subscribed to `room`, with what it receives recorded. */
async function join(user, room, { compressAll = false } = {}) {
  const sockets = [];
  const options = { websocket: websocketClass(sockets, compressAll), minReconnectDelay: 100, maxReconnectDelay: 1000 };
  if (user) options.token = mintToken(user, { name: `name of ${user}` });
  const centrifuge = new Centrifuge(jsonEndpoint, options);
  clients.push(centrifuge);
  const disconnects = record(centrifuge, 'disconnected');
  const sub = centrifuge.newSubscription(room);
  const pubs = record(sub, 'publication', (ctx) => ({ text: ctx.data && ctx.data.text, offset: ctx.offset, data: ctx.data }));
  const subscribed = record(sub, 'subscribed');
  const errors = record(sub, 'error', (ctx) => ctx.error);
  sub.subscribe();
  centrifuge.connect();
  await subscribed.until((s) => s.length >= 1, WAIT_MS,
    `${user || 'anonymous'} should be subscribed to ${room} (subscription errors: ${JSON.stringify(errors.items)}, ` +
    `disconnects: ${JSON.stringify(disconnects.items)})`);
  return { user, centrifuge, sub, pubs, subscribed, disconnects, sockets };
}

function post(member, text, extra = {}) {
  return member.sub.publish({ text, color: 0xfe0302, mode: 1, clientMsgId: randomUUID(), ...extra });
}

function texts(member, tag) {
  return member.pubs.items.filter((p) => typeof p.text === 'string' && p.text.startsWith(tag)).map((p) => p.text);
}

function assertOffsetsIncrease(member) {
  const offsets = member.pubs.items.map((p) => p.offset);
  for (const o of offsets) assert.equal(typeof o, 'number', `every publication has a numeric offset: ${offsets}`);
  for (let i = 1; i < offsets.length; i++) {
    assert.ok(offsets[i] > offsets[i - 1], `offsets increase for ${member.user}: ${offsets}`);
  }
}

describe('centrifuge SDK', { timeout: 60_000 }, () => {
  test('two clients receive every post of a room in order, with increasing offsets', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-order');
    const alice = await join('alice', room);
    const bob = await join('bob', room);
    const tag = `order-${randomUUID().slice(0, 8)}`;
    const sent = [];
    for (let i = 0; i < 5; i++) { // the default user rate limit allows a burst of 5
      const text = `${tag} #${i} 弹幕`;
      await post(alice, text);
      sent.push(text);
    }
    for (const member of [alice, bob]) {
      await member.pubs.until((items) => items.length >= sent.length, WAIT_MS,
        `${member.user} should receive the ${sent.length} posts`);
      assert.deepEqual(texts(member, tag), sent, `${member.user} sees every post, in order`);
      assertOffsetsIncrease(member);
      for (const p of member.pubs.items) {
        assert.equal(p.data.user.id, 'alice');
        assert.equal(p.data.user.name, 'name of alice');
        assert.equal(p.data.color, 0xfe0302);
        // lean pushes: the room is the subscription's channel, the position the publication's offset
        assert.equal(p.data.room, undefined, 'the room is not repeated inside data');
        assert.equal(p.data.offset, undefined, 'the offset is not repeated inside data');
        assert.equal(p.data.epoch, undefined, 'the epoch is not repeated inside data');
      }
      assert.equal(member.sub.channel, room);
      assert.match(member.sockets.at(-1).extensions, /^permessage-deflate/, 'the ws client negotiated compression');
    }
  });

  test('with every client message compressed (permessage-deflate) posts go through and come back', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-deflate');
    const erin = await join('erin', room, { compressAll: true });
    const frank = await join('frank', room);
    const tag = `deflate-${randomUUID().slice(0, 8)}`;
    const sent = [`${tag} 弹幕 ${'長'.repeat(60)}`, `${tag} second`];
    for (const text of sent) await post(erin, text);
    for (const member of [erin, frank]) {
      await member.pubs.until((items) => texts(member, tag).length >= sent.length, WAIT_MS,
        `${member.user} should receive the compressed client's posts`);
      assert.deepEqual(texts(member, tag), sent);
      assert.match(member.sockets.at(-1).extensions, /^permessage-deflate/);
    }
  });

  test('a client that reconnects recovers exactly the posts it missed', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-recover');
    const carol = await join('carol', room);
    const dave = await join('dave', room);
    const tag = `recover-${randomUUID().slice(0, 8)}`;

    await post(carol, `${tag} before 0`);
    await post(carol, `${tag} before 1`);
    await dave.pubs.until((items) => items.length >= 2, WAIT_MS, 'dave should receive the posts made before he left');

    dave.centrifuge.disconnect();
    assert.equal(dave.centrifuge.state, 'disconnected');
    const missed = [`${tag} missed 0`, `${tag} missed 1`, `${tag} missed 2`];
    for (const text of missed) await post(carol, text);
    await carol.pubs.until((items) => items.length >= 5, WAIT_MS, 'carol should receive her own posts');

    dave.centrifuge.connect();
    const [, again] = await dave.subscribed.until((s) => s.length >= 2, WAIT_MS, 'dave should subscribe again after connect()');
    assert.equal(again.wasRecovering, true, 'the SDK asked to recover its position');
    assert.equal(again.recovered, true, 'the server recovered every missed post');
    await dave.pubs.until((items) => items.length >= 5, WAIT_MS, 'dave should receive the missed posts after reconnecting');

    await post(dave, `${tag} after`); // dave has not posted yet: his own rate-limit burst is untouched
    await dave.pubs.until((items) => items.length >= 6, WAIT_MS, 'dave should receive the post made after his return');
    assert.deepEqual(texts(dave, tag),
      [`${tag} before 0`, `${tag} before 1`, ...missed, `${tag} after`],
      'dave saw every post exactly once, in order');
    assertOffsetsIncrease(dave);
    await carol.pubs.until((items) => items.length >= 6, WAIT_MS, 'carol should receive dave\'s post');
    assert.deepEqual(texts(carol, tag), texts(dave, tag));
  });

  test('a message a moderator deletes is pushed as a DELETE publication and not recovered after a reconnect',
    { timeout: 30_000 }, async () => {
      const room = uniqueRoom('cf-delete');
      const carol = await join('carol-del', room); // users of their own: the others' rate limits are used up
      const dave = await join('dave-del', room);
      const tag = `delete-${randomUUID().slice(0, 8)}`;
      await post(carol, `${tag} seen`);
      await dave.pubs.until((items) => items.length >= 1, WAIT_MS, 'dave should receive the first post');

      dave.centrifuge.disconnect();
      await post(carol, `${tag} spam`);
      await post(carol, `${tag} fine`, { progress: 70_000 });
      const [, spam, fine] = await carol.pubs.until((items) => items.length >= 3, WAIT_MS, 'carol should get her posts');
      assert.equal(fine.data.progress, 70_000, 'a post\'s progress is kept in the message');
      const res = await api('delete', { channel: room, id: spam.data.id });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [, , , retraction] = await carol.pubs.until((items) => items.length >= 4, WAIT_MS,
        'carol, connected, should get the retraction');
      assert.equal(retraction.data.cmd, 'DELETE');
      assert.deepEqual(retraction.data.ids, [spam.data.id]);
      assert.equal(retraction.offset, res.body.result.offset);

      dave.centrifuge.connect();
      const [, again] = await dave.subscribed.until((s) => s.length >= 2, WAIT_MS, 'dave should subscribe again');
      assert.equal(again.recovered, true, 'a deleted message is not a gap');
      await dave.pubs.until((items) => items.length >= 3, WAIT_MS, 'dave should recover the rest');
      assert.deepEqual(dave.pubs.items.map((p) => p.data.cmd || p.text), [`${tag} seen`, `${tag} fine`, 'DELETE'],
        'dave recovered the post and the retraction, not the deleted post');
    });

  test('presence_stats counts the connections in the room', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-presence');
    const erin = await join('erin', room);
    const frank = await join('frank', room);
    let stats = await eventually(async () => {
      const s = await erin.sub.presenceStats();
      return s.numClients === 2 ? s : null;
    }, 10_000, 'presenceStats() should report the two connected clients');
    assert.equal(stats.numClients, 2);
    assert.ok(stats.numUsers >= 1, `numUsers: ${stats.numUsers}`);

    frank.centrifuge.disconnect();
    stats = await eventually(async () => {
      const s = await erin.sub.presenceStats();
      return s.numClients === 1 ? s : null;
    }, 10_000, 'presenceStats() should drop to one client once frank left');
    assert.equal(stats.numClients, 1);
  });

  test('an anonymous client reads the room but its publish is refused with code 103', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-anon');
    const guest = await join(null, room);
    const grace = await join('grace', room);
    await assert.rejects(post(guest, 'anonymous post'), (err) => {
      assert.equal(err.code, 103, `error: ${JSON.stringify(err)}`);
      assert.match(err.message, /permission/);
      return true;
    });
    await post(grace, 'grace was here');
    await guest.pubs.until((items) => items.some((p) => p.text === 'grace was here'), WAIT_MS,
      'the anonymous reader should receive grace\'s post');
    assert.deepEqual(guest.pubs.items.map((p) => p.text), ['grace was here'], 'the refused post was not delivered');
  });

  test('a token with a bad signature is refused: disconnected with code 3500', { timeout: 30_000 }, async () => {
    const forged = mintToken('mallory', { secret: 'not-the-server-secret-but-long-enough-0123456789' });
    const centrifuge = new Centrifuge(jsonEndpoint, { websocket: WebSocket, token: forged });
    clients.push(centrifuge);
    const disconnects = record(centrifuge, 'disconnected');
    centrifuge.connect();
    const [ctx] = await disconnects.until((d) => d.length >= 1, WAIT_MS, 'a forged token should end the connection');
    assert.equal(ctx.code, 3500, `disconnect: ${JSON.stringify(ctx)}`);
    assert.equal(centrifuge.state, 'disconnected', 'the SDK does not retry an invalid token');
  });

  test('the server API publishes to SDK subscribers, danmaku and custom events alike', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('cf-api');
    const heidi = await join('heidi', room);

    const refused = await api('publish', { channel: room, data: { text: 'wrong key' } }, { apiKey: 'wrong-key' });
    assert.equal(refused.status, 401, `a wrong API key is refused: ${JSON.stringify(refused.body)}`);

    const result = await apiPublish(room, { text: 'from the backend', color: 0x00a0ff, user: { id: 'backend-1', name: '后台' } });
    await apiPublish(room, { cmd: 'GIFT', gift: 'rocket', count: 2, user: { id: 'u7', name: 'giver' } });
    await heidi.pubs.until((items) => items.length >= 2, WAIT_MS, 'heidi should receive both server API messages');

    const [danmaku, gift] = heidi.pubs.items;
    assert.equal(danmaku.text, 'from the backend');
    assert.deepEqual(danmaku.data.user, { id: 'backend-1', name: '后台' });
    assert.equal(danmaku.data.color, 0x00a0ff);
    assert.equal(String(danmaku.offset), String(result.offset), 'the API answers the offset the subscriber sees');
    assert.equal(gift.data.cmd, 'GIFT');
    assert.equal(gift.data.gift, 'rocket');
    assert.equal(gift.data.count, 2);
    assert.ok(gift.offset > danmaku.offset);
    assert.equal(heidi.pubs.items.length, 2, 'the refused request delivered nothing');
  });
});
