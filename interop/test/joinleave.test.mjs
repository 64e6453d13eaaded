// Join and leave with the unmodified `centrifuge` SDK: a subscription created with joinLeave: true (the SDK then
// sends join_leave in its subscribe request) fires its 'join' and 'leave' handlers when another client subscribes
// to and leaves a room of gateway.join-leave.rooms (interop/run.sh sets it to jl-*).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { jsonEndpoint, mintToken, record, uniqueRoom } from '../lib/support.mjs';

const WAIT_MS = 8000;
const clients = [];

after(() => {
  for (const c of clients) c.disconnect();
});

function client(user) {
  const c = new Centrifuge(jsonEndpoint, { websocket: WebSocket, token: mintToken(user, { name: `name of ${user}` }) });
  clients.push(c);
  return c;
}

describe('join and leave (centrifuge SDK)', { timeout: 60_000 }, () => {
  test('the subscription\'s join and leave handlers fire with the other client\'s info', async () => {
    const room = uniqueRoom('jl');
    const alice = client('jl-alice');
    const aliceSub = alice.newSubscription(room, { joinLeave: true });
    const joins = record(aliceSub, 'join', (ctx) => ctx.info);
    const leaves = record(aliceSub, 'leave', (ctx) => ctx.info);
    const subscribed = record(aliceSub, 'subscribed');
    aliceSub.subscribe();
    alice.connect();
    await subscribed.until((s) => s.length >= 1, WAIT_MS, 'alice subscribed');

    const bob = client('jl-bob');
    const bobConnected = record(bob, 'connected', (ctx) => ctx.client);
    const bobSub = bob.newSubscription(room);
    const bobSubscribed = record(bobSub, 'subscribed');
    bobSub.subscribe();
    bob.connect();
    await bobSubscribed.until((s) => s.length >= 1, WAIT_MS, 'bob subscribed');
    const bobClient = bobConnected.items[0];

    const [join] = await joins.until((items) => items.some((i) => i.client === bobClient), WAIT_MS, 'bob\'s join');
    const bobJoin = joins.items.find((i) => i.client === bobClient);
    assert.equal(bobJoin.user, 'jl-bob', JSON.stringify(join));
    assert.deepEqual(bobJoin.connInfo, { name: 'name of jl-bob' });

    bobSub.unsubscribe();
    const bobLeave = (await leaves.until((items) => items.some((i) => i.client === bobClient), WAIT_MS, 'bob\'s leave'))
      .find((i) => i.client === bobClient);
    assert.equal(bobLeave.user, 'jl-bob');
  });

  test('a subscription without joinLeave hears nothing of it', async () => {
    const room = uniqueRoom('jl');
    const carol = client('jl-carol');
    const sub = carol.newSubscription(room);
    const joins = record(sub, 'join');
    const subscribed = record(sub, 'subscribed');
    sub.subscribe();
    carol.connect();
    await subscribed.until((s) => s.length >= 1, WAIT_MS, 'carol subscribed');
    const dave = client('jl-dave');
    const daveSub = dave.newSubscription(room, { joinLeave: true });
    const daveJoins = record(daveSub, 'join', (ctx) => ctx.info);
    const daveSubscribed = record(daveSub, 'subscribed');
    daveSub.subscribe();
    dave.connect();
    await daveSubscribed.until((s) => s.length >= 1, WAIT_MS, 'dave subscribed');
    const eve = client('jl-eve');
    eve.newSubscription(room).subscribe();
    eve.connect();
    // dave, who asked, hears eve's join; by then carol would have heard it too
    await daveJoins.until((items) => items.some((i) => i.user === 'jl-eve'), WAIT_MS, 'eve\'s join at dave');
    assert.equal(joins.items.length, 0);
  });
});
