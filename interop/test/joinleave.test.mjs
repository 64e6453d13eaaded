// Join and leave with the unmodified `centrifuge` SDK: a subscription created with joinLeave: true (the SDK then
// sends join_leave in its subscribe request) fires its 'join' and 'leave' handlers when another client subscribes
// to and leaves a room of gateway.join-leave.rooms (interop/run.sh sets it to jl-*). The first case runs with both
// builds of the SDK: JSON and Protobuf (where the client info's connInfo arrives as JSON bytes).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Centrifuge } from 'centrifuge';
import { Centrifuge as CentrifugeProtobuf } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { jsonEndpoint, mintToken, record, uniqueRoom } from '../lib/support.mjs';

const WAIT_MS = 8000;
const clients = [];

after(() => {
  for (const c of clients) c.disconnect();
});

function client(user, Sdk = Centrifuge) {
  const c = new Sdk(jsonEndpoint, { websocket: WebSocket, token: mintToken(user, { name: `name of ${user}` }) });
  clients.push(c);
  return c;
}

describe('join and leave (centrifuge SDK)', { timeout: 60_000 }, () => {
  for (const [build, Sdk, connInfo] of [
    ['JSON', Centrifuge, (v) => v],
    ['Protobuf', CentrifugeProtobuf, (v) => JSON.parse(new TextDecoder().decode(v))],
  ]) {
    test(`${build} build: the subscription's join and leave handlers fire with the other client's info`, async () => {
      const prefix = build === 'JSON' ? 'jl' : 'jl-pb';
      const room = uniqueRoom('jl');
      const alice = client(`${prefix}-alice`, Sdk);
      const aliceSub = alice.newSubscription(room, { joinLeave: true });
      const joins = record(aliceSub, 'join', (ctx) => ctx.info);
      const leaves = record(aliceSub, 'leave', (ctx) => ctx.info);
      const subscribed = record(aliceSub, 'subscribed');
      aliceSub.subscribe();
      alice.connect();
      await subscribed.until((s) => s.length >= 1, WAIT_MS, 'alice subscribed');

      const bob = client(`${prefix}-bob`, Sdk);
      const bobConnected = record(bob, 'connected', (ctx) => ctx.client);
      const bobSub = bob.newSubscription(room);
      const bobSubscribed = record(bobSub, 'subscribed');
      bobSub.subscribe();
      bob.connect();
      await bobSubscribed.until((s) => s.length >= 1, WAIT_MS, 'bob subscribed');
      const bobClient = bobConnected.items[0];

      const [join] = await joins.until((items) => items.some((i) => i.client === bobClient), WAIT_MS, 'bob\'s join');
      const bobJoin = joins.items.find((i) => i.client === bobClient);
      assert.equal(bobJoin.user, `${prefix}-bob`, JSON.stringify(join));
      assert.deepEqual(connInfo(bobJoin.connInfo), { name: `name of ${prefix}-bob` });

      bobSub.unsubscribe();
      const hasLeft = (items) => items.some((i) => i.client === bobClient);
      const bobLeave = (await leaves.until(hasLeft, WAIT_MS, 'bob\'s leave')).find((i) => i.client === bobClient);
      assert.equal(bobLeave.user, `${prefix}-bob`);
    });
  }

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
