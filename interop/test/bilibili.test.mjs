// The unmodified `bilibili-live-ws` client (Bilibili's live danmaku protocol on /sub) against the server.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import bilibili from 'bilibili-live-ws';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { api, apiPublish, bilibiliEndpoint, eventually, jsonEndpoint, mintToken, record, sleep, uniqueRoomId } from '../lib/support.mjs';

const { LiveWS, KeepLiveWS } = bilibili;
const WAIT_MS = 8000;
const USER = { id: '12345', name: '测试用户' };
const opened = [];

after(() => {
  for (const c of opened) c.close();
});

/** The packets' headers of one WebSocket frame as the server sent it (nested batches are not opened). */
function headers(frame) {
  const packets = [];
  for (let at = 0; at + 16 <= frame.length;) {
    const packLen = frame.readUInt32BE(at);
    packets.push({ packLen, headerLen: frame.readUInt16BE(at + 4), ver: frame.readUInt16BE(at + 6), op: frame.readUInt32BE(at + 8), body: frame.subarray(at + 16, at + packLen) });
    if (packLen < 16) break;
    at += packLen;
  }
  return packets;
}

/** A LiveWS client of `roomid`, with its events recorded; resolves once it emitted `live`. */
async function open(roomid, { protover = 3, key = mintToken(`viewer-${randomUUID().slice(0, 6)}`, { name: 'viewer' }) } = {}) {
  const live = new LiveWS(roomid, { address: bilibiliEndpoint, protover, key });
  opened.push(live);
  const rec = {
    live,
    lives: record(live, 'live'),
    heartbeats: record(live, 'heartbeat'),
    danmaku: record(live, 'DANMU_MSG'),
    closes: record(live, 'close'),
    errors: record(live, 'error', (e) => String(e)),
    frames: record(live, 'message', (buf) => headers(Buffer.from(buf))), // the raw frames the library decodes
  };
  await rec.lives.until((l) => l.length >= 1, WAIT_MS,
    `LiveWS(protover ${protover}) should emit live for room ${roomid} (closes: ${rec.closes.items.length}, errors: ${rec.errors.items})`);
  return rec;
}

function danmaku(text, color) {
  return { text, color, mode: 1, user: USER };
}

function assertDanmu(msg, text, color) {
  assert.equal(msg.cmd, 'DANMU_MSG');
  const info = msg.info;
  assert.ok(Array.isArray(info), `info is an array: ${JSON.stringify(msg)}`);
  assert.equal(info[1], text, 'info[1] is the text');
  assert.equal(info[2][0], 12345, 'info[2][0] is the numeric user id');
  assert.equal(info[2][1], '测试用户', 'info[2][1] is the user name');
  assert.equal(info[0][3], color, 'info[0][3] is the color');
  assert.equal(info[0][1], 1, 'info[0][1] is the mode');
  assert.equal(info[0][2], 25, 'info[0][2] is the font size');
  assert.ok(Math.abs(info[0][4] - Date.now()) < 60_000, `info[0][4] is the server time in ms: ${info[0][4]}`);
}

describe('bilibili-live-ws', { timeout: 90_000 }, () => {
  for (const protover of [1, 2, 3]) {
    test(`protover ${protover}: joins, reports the online count, receives every DANMU_MSG and custom events in order`,
      { timeout: 30_000 }, async () => {
        const roomid = uniqueRoomId();
        const c = await open(roomid, { protover });
        const [online] = await c.heartbeats.until((h) => h.length >= 1, WAIT_MS,
          'the heartbeat sent after joining should be answered (op 3)');
        assert.equal(typeof online, 'number', `heartbeat reports a number: ${online}`);
        assert.ok(online >= 1, `online count counts this client: ${online}`);

        const sent = [
          [`第一条 p${protover}`, 0xffffff],
          [`second p${protover} ${randomUUID().slice(0, 6)}`, 0xfe0302],
          [`第三条 🎉 p${protover}`, 0x00cd00],
        ];
        for (const [text, color] of sent) await apiPublish(String(roomid), danmaku(text, color));
        await c.danmaku.until((d) => d.length >= sent.length, WAIT_MS, `all ${sent.length} danmaku should arrive as DANMU_MSG`);
        assert.equal(c.danmaku.items.length, sent.length);
        sent.forEach(([text, color], i) => assertDanmu(c.danmaku.items[i], text, color));
        assert.equal(c.danmaku.items[1].danmaku.user.id, '12345', 'the stamped message rides along');

        const gifts = record(c.live, 'SEND_GIFT');
        await apiPublish(String(roomid), { cmd: 'SEND_GIFT', giftName: 'rocket', num: 2, uname: '测试用户' });
        const [gift] = await gifts.until((g) => g.length >= 1, WAIT_MS, 'a SEND_GIFT event should arrive as its own cmd');
        assert.equal(gift.cmd, 'SEND_GIFT');
        assert.equal(gift.data.giftName, 'rocket');
        assert.equal(gift.data.num, 2);
        assert.equal(c.danmaku.items.length, sent.length, 'a custom event is not a DANMU_MSG');

        // Node's ws (under the library) offered permessage-deflate and got it: protover 1 batches came deflated
        // (shared by every member), protover 2/3 ones plain (their bodies are compressed already)
        assert.match(c.live.ws.ws.extensions, /^permessage-deflate/, 'the ws client negotiated compression');

        // How the frames looked on the wire: the batch form follows protover, the heartbeat reply stands alone.
        const packets = c.frames.items.flat();
        const messageVers = new Set(packets.filter((p) => p.op === 5).map((p) => p.ver));
        const expected = protover === 1 ? 0 : protover;
        assert.deepEqual([...messageVers], [expected],
          `op-5 packets use ver ${expected} for protover ${protover}` +
          (protover === 3 ? ' (ver 2 means brotli did not load: see the server log)' : ''));
        for (const frame of c.frames.items.filter((f) => f.some((p) => p.op === 3))) {
          assert.equal(frame.length, 1, 'op 3 is a frame of its own');
          assert.equal(frame[0].packLen, 20);
          assert.equal(frame[0].ver, 1);
        }
        const welcome = packets.find((p) => p.op === 8);
        assert.deepEqual(JSON.parse(String(welcome.body)), { code: 0 }, 'op 8 says the key was accepted');
      });
  }

  test('a message a moderator deletes arrives as RECALL_DANMU_MSG naming the DANMU_MSG it recalls', { timeout: 30_000 },
    async () => {
      const roomid = uniqueRoomId();
      const c = await open(roomid, { protover: 3 });
      // the library emits every cmd containing DANMU_MSG as a DANMU_MSG event (as it does with Bilibili's own
      // recalls), and everything as msg: a recall is told apart by its cmd
      const recalls = record(c.live, 'msg');
      const spam = `spam ${randomUUID().slice(0, 6)}`;
      await apiPublish(String(roomid), danmaku(spam, 0xffffff));
      const [msg] = await c.danmaku.until((d) => d.length >= 1, WAIT_MS, 'the danmaku should arrive');
      const id = msg.danmaku.id;

      const res = await api('delete', { channel: String(roomid), id });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const isRecall = (m) => m && m.cmd === 'RECALL_DANMU_MSG';
      await recalls.until((r) => r.some(isRecall), WAIT_MS, 'the recall should arrive');
      const recall = recalls.items.find(isRecall);
      assert.equal(recall.data.target_id, msg.info[0][5], 'target_id is the DANMU_MSG\'s info[0][5]');
      assert.equal(recall.data.target_id_str, id);
      assert.equal(recall.data.danmaku.cmd, 'DELETE');
      assert.deepEqual(recall.data.danmaku.ids, [id]);
      assert.deepEqual(c.danmaku.items.map((m) => m.cmd), ['DANMU_MSG', 'RECALL_DANMU_MSG'],
        'bilibili-live-ws hands the recall to its DANMU_MSG listeners too, after the message');
    });

  test('two clients in a room see an online count of 2, and 3 with a JSON-protocol client whose post arrives as DANMU_MSG',
    { timeout: 30_000 }, async () => {
      const roomid = uniqueRoomId();
      const a = await open(roomid, { protover: 3 });
      const b = await open(roomid, { protover: 2 });
      // the client heartbeats every 30 s; getOnline() sends one now and resolves with the reply
      await eventually(async () => (await a.live.getOnline()) === 2, 10_000, 'the heartbeat should report 2 clients');

      const token = mintToken('10086', { name: '阿伟' });
      const centrifuge = new Centrifuge(jsonEndpoint, { websocket: WebSocket, token });
      opened.push({ close: () => centrifuge.disconnect() });
      const sub = centrifuge.newSubscription(String(roomid));
      const subscribed = record(sub, 'subscribed');
      sub.subscribe();
      centrifuge.connect();
      await subscribed.until((s) => s.length >= 1, WAIT_MS, `the JSON client should join channel ${roomid}`);
      await eventually(async () => (await b.live.getOnline()) === 3, 10_000, 'the heartbeat should count the JSON client too');

      await sub.publish({ text: '上车', color: 0xff7204, mode: 1 });
      for (const c of [a, b]) {
        const [msg] = await c.danmaku.until((d) => d.length >= 1, WAIT_MS, 'the JSON-protocol post should arrive as DANMU_MSG');
        assert.equal(msg.info[1], '上车');
        assert.equal(msg.info[2][0], 10086);
        assert.equal(msg.info[2][1], '阿伟');
        assert.equal(msg.info[0][3], 0xff7204);
      }

      b.live.close();
      await eventually(async () => (await a.live.getOnline()) === 2, 10_000, 'the count should drop when a client leaves');
    });

  test('a bad key gets op 8 {"code":-101}, no DANMU_MSG, and the connection closes', { timeout: 30_000 }, async () => {
    const roomid = uniqueRoomId();
    const forged = mintToken('12345', { secret: 'not-the-server-secret-but-long-enough-0123456789' });
    const live = new LiveWS(roomid, { address: bilibiliEndpoint, protover: 3, key: forged });
    opened.push(live);
    const closeCodes = [];
    live.ws.ws.on('close', (code) => closeCodes.push(code)); // the library's close event carries no code
    const frames = record(live, 'message', (buf) => headers(Buffer.from(buf)));
    const danmu = record(live, 'DANMU_MSG');
    const closes = record(live, 'close');
    record(live, 'error'); // an error event without a listener would throw

    const [[reply]] = await frames.until((f) => f.length >= 1, WAIT_MS, 'the server should answer the auth packet');
    assert.equal(reply.op, 8);
    assert.deepEqual(JSON.parse(String(reply.body)), { code: -101 });
    await apiPublish(String(roomid), danmaku('not for you', 0xffffff));
    await closes.until((c) => c.length >= 1, WAIT_MS, 'the server should close the connection after refusing the key');
    assert.deepEqual(closeCodes, [1008]);
    await sleep(200);
    assert.equal(danmu.items.length, 0, 'a refused client gets no danmaku');
  });

  test('KeepLiveWS joins again after the connection drops and keeps receiving', { timeout: 30_000 }, async () => {
    const roomid = uniqueRoomId();
    const keep = new KeepLiveWS(roomid, { address: bilibiliEndpoint, protover: 3, key: mintToken('keeper', { name: 'keeper' }) });
    opened.push(keep);
    const lives = record(keep, 'live');
    const danmu = record(keep, 'DANMU_MSG');
    await lives.until((l) => l.length >= 1, WAIT_MS, 'KeepLiveWS should join');
    await apiPublish(String(roomid), danmaku('before the drop', 0xffffff));
    await danmu.until((d) => d.length >= 1, WAIT_MS, 'the first danmaku should arrive');

    keep.connection.ws.ws.terminate(); // the network drops
    await lives.until((l) => l.length >= 2, WAIT_MS, 'KeepLiveWS should reconnect and join again');
    await apiPublish(String(roomid), danmaku('after the drop', 0xffffff));
    await danmu.until((d) => d.length >= 2, WAIT_MS, 'danmaku should arrive on the new connection');
    assert.deepEqual(danmu.items.map((m) => m.info[1]), ['before the drop', 'after the drop']);
  });
});
