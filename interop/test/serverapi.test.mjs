// The server API as a backend uses it, seen through the unmodified `centrifuge` JavaScript SDK: server-side
// subscribe and unsubscribe, publication tags, presence, user-limited rooms and disconnect with a custom code.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { api, eventually, jsonEndpoint, mintToken, record, uniqueRoom } from '../lib/support.mjs';

const WAIT_MS = 8000;
const clients = [];

after(() => {
  for (const c of clients) c.disconnect();
});

/** A connected SDK client of `user` with its client-level events recorded. */
async function connect(user) {
  const centrifuge = new Centrifuge(jsonEndpoint, {
    websocket: WebSocket, minReconnectDelay: 100, maxReconnectDelay: 1000,
    token: mintToken(user, { name: `name of ${user}` }),
  });
  clients.push(centrifuge);
  const connected = record(centrifuge, 'connected');
  const client = {
    user,
    centrifuge,
    connected,
    serverSubscribed: record(centrifuge, 'subscribed'),
    serverUnsubscribed: record(centrifuge, 'unsubscribed'),
    serverPubs: record(centrifuge, 'publication'),
    disconnects: record(centrifuge, 'disconnected'),
  };
  centrifuge.connect();
  await connected.until((c) => c.length >= 1, WAIT_MS, `${user} should connect`);
  return client;
}

/** A client-side subscription of `client` to `room`, with its events recorded (not awaited). */
function subscribe(client, room) {
  const sub = client.centrifuge.newSubscription(room);
  const s = {
    sub,
    subscribed: record(sub, 'subscribed'),
    unsubscribed: record(sub, 'unsubscribed'),
    pubs: record(sub, 'publication'),
  };
  sub.subscribe();
  return s;
}

async function ok(method, body) {
  const { status, body: answer } = await api(method, body);
  assert.equal(status, 200, `${method} answered ${status}: ${JSON.stringify(answer)}`);
  return answer.result;
}

describe('server API with the centrifuge SDK', { timeout: 60_000 }, () => {
  test('a server-side subscribe reaches every connection of the user, with tags, until unsubscribe', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('srv-sub');
    const phone = await connect('sa-alice');
    const laptop = await connect('sa-alice');

    await ok('subscribe', { user: 'sa-alice', channel: room });
    for (const device of [phone, laptop]) {
      await device.serverSubscribed.until((s) => s.some((c) => c.channel === room), WAIT_MS,
        'the SDK should report the server-side subscription');
    }
    await ok('publish', { channel: room, data: { cmd: 'NOTICE', msg: 'hello' }, tags: { kind: 'notice' } });
    for (const device of [phone, laptop]) {
      await device.serverPubs.until((p) => p.some((c) => c.channel === room), WAIT_MS,
        'the SDK should deliver the publication of the server-side subscription');
      const pub = device.serverPubs.items.find((c) => c.channel === room);
      assert.equal(pub.data.msg, 'hello');
      assert.deepEqual(pub.tags, { kind: 'notice' }, 'the publication carries its tags');
    }

    await ok('unsubscribe', { user: 'sa-alice', channel: room });
    for (const device of [phone, laptop]) {
      await device.serverUnsubscribed.until((s) => s.some((c) => c.channel === room), WAIT_MS,
        'the SDK should report the server-side unsubscription');
    }
  });

  test('presence lists the members of a room, for the SDK and the server API', { timeout: 30_000 }, async () => {
    const room = uniqueRoom('sa-presence');
    const erin = await connect('sa-erin');
    const frank = await connect('sa-frank');
    const es = subscribe(erin, room);
    const fs = subscribe(frank, room);
    await es.subscribed.until((s) => s.length >= 1, WAIT_MS, 'erin should be subscribed');
    await fs.subscribed.until((s) => s.length >= 1, WAIT_MS, 'frank should be subscribed');

    const result = await eventually(async () => {
      const r = await es.sub.presence();
      return Object.keys(r.clients).length === 2 ? r : null;
    }, 10_000, 'presence() should list the two clients');
    const users = Object.values(result.clients).map((c) => c.user).sort();
    assert.deepEqual(users, ['sa-erin', 'sa-frank']);
    const apiPresence = await ok('presence', { channel: room });
    assert.deepEqual(Object.keys(apiPresence.presence).sort(), Object.keys(result.clients).sort());
    const stats = await ok('presence_stats', { channel: room });
    assert.deepEqual(stats, { num_clients: 2, num_users: 2 });
  });

  test('a user-limited room is only for its user, on every device', { timeout: 30_000 }, async () => {
    const room = `${uniqueRoom('notes')}#sa-gina`;
    const gina = await connect('sa-gina');
    const hank = await connect('sa-hank');
    const mine = subscribe(gina, room);
    const theirs = subscribe(hank, room);
    await mine.subscribed.until((s) => s.length >= 1, WAIT_MS, 'gina should be subscribed to her room');
    await theirs.unsubscribed.until((s) => s.length >= 1, WAIT_MS, 'hank should be refused');
    assert.equal(theirs.unsubscribed.items[0].code, 103, JSON.stringify(theirs.unsubscribed.items));

    await ok('publish', { channel: room, data: { cmd: 'NOTICE', msg: 'for gina' } });
    await mine.pubs.until((p) => p.length >= 1, WAIT_MS, 'gina should get the push');
    assert.equal(mine.pubs.items[0].data.msg, 'for gina');
    assert.equal(theirs.pubs.items.length, 0);
  });

  test('disconnect with a custom code closes the connection with it', { timeout: 30_000 }, async () => {
    const ivan = await connect('sa-ivan');
    await ok('disconnect', { user: 'sa-ivan', disconnect: { code: 4501, reason: 'account closed' } });
    await ivan.disconnects.until((d) => d.length >= 1, WAIT_MS, 'ivan should be disconnected');
    assert.equal(ivan.disconnects.items[0].code, 4501);
    assert.equal(ivan.disconnects.items[0].reason, 'account closed');
  });
});
