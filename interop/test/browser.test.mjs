// The demo page in Debian's Chromium (headless), driven by playwright-core: two viewers in a room, one posts,
// the comment flies across the other's stage; the replay of a room's recording under a fake clock; a comment a
// moderator deletes leaves the stage.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { api, apiPublish, eventually, httpBase, jsonEndpoint, server, sleep, uniqueRoom } from '../lib/support.mjs';

const CHROMIUM = '/usr/bin/chromium';
// The flags a headless Chromium needs on a machine with no network but loopback. playwright-core starts it
// with a fresh temporary --user-data-dir of its own (it refuses one passed in args).
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const WAIT_MS = 10_000;
const SCREENSHOT = fileURLToPath(new URL('../target/demo-page.png', import.meta.url));

let browser;
const pageErrors = [];

async function launch() {
  assert.ok(existsSync(CHROMIUM),
    `${CHROMIUM} does not exist: install Debian's chromium package (apt-get install -y chromium); ` +
    'the browser test never downloads a browser');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

after(async () => {
  if (browser) await browser.close();
});

async function viewer(room, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${name} console: ${m.text()}`); });
  await page.goto(`${httpBase}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  await page.locator('[data-testid=status][data-state=connected]').waitFor({ timeout: WAIT_MS })
    .catch(async (e) => {
      throw new Error(`${name}'s page did not connect: status "${await page.textContent('[data-testid=status]')}", ` +
        `log: ${await page.textContent('[data-testid=log]')} (${e.message})`);
    });
  return page;
}

/** The server's count of deflated batch frames (admin /metrics). */
async function deflatedFrames() {
  const res = await fetch(`http://${server.host}:${server.adminPort}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith('danmaku_gateway_compression_frames_total'));
  assert.ok(line, 'the metrics list danmaku_gateway_compression_frames_total');
  return Number(line.split(' ').pop());
}

async function onlineCount(page) {
  return Number(await page.getAttribute('[data-testid=online]', 'data-count'));
}

describe('demo page in Chromium', { timeout: 90_000 }, () => {
  test('a comment posted on one page flies across the other page\'s stage', { timeout: 60_000 }, async () => {
    await launch();
    const room = uniqueRoom('browser');
    const alice = await viewer(room, 'Alice');
    const bob = await viewer(room, 'Bob');
    assert.equal(await alice.textContent('[data-testid=room]'), room);
    assert.match(await alice.textContent('[data-testid=whoami]'), /posting as Alice/);
    assert.equal(await alice.isEnabled('[data-testid=input]'), true, 'a page with a demo token can post');

    // both count in the online figure (the page polls presence_stats every 5 s)
    await bob.waitForFunction(
      () => Number(document.querySelector('[data-testid=online]').getAttribute('data-count')) >= 2,
      null, { timeout: 15_000 },
    ).catch(async () => assert.fail(`Bob's page should show at least 2 watching, shows ${await onlineCount(bob)}`));
    assert.match(await bob.textContent('[data-testid=online]'), /^\d+ watching$/);

    // Chromium offers permessage-deflate and gets it: the batch frames the pages receive are the shared compressed ones
    const extensions = await bob.evaluate((url) => new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => { resolve(ws.extensions); ws.close(); };
      ws.onerror = () => reject(new Error('WebSocket failed'));
    }), jsonEndpoint);
    assert.match(extensions, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);
    const deflatedBefore = await deflatedFrames();

    const text = `你好 from Alice ${randomUUID().slice(0, 6)}`;
    await alice.fill('[data-testid=input]', text);
    await alice.click('[data-testid=send]');

    const comment = bob.locator('[data-testid=danmaku]', { hasText: text });
    await comment.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.equal(await comment.getAttribute('title'), 'Alice', 'the comment carries its author');
    const stage = await bob.locator('[data-testid=stage]').boundingBox();
    const first = await comment.boundingBox();
    await sleep(500);
    const second = await comment.boundingBox();
    assert.ok(first && second, 'the comment stays on the stage while it flies');
    assert.ok(second.x < first.x - 10, `the comment moves left: x ${first.x} → ${second.x}`);
    assert.ok(Math.abs(second.y - first.y) < 1, 'it keeps its lane');
    assert.ok(second.y >= stage.y && second.y + second.height <= stage.y + stage.height,
      `the comment is inside the stage vertically: ${JSON.stringify(second)} in ${JSON.stringify(stage)}`);
    assert.ok(second.x < stage.x + stage.width && second.x + second.width > stage.x,
      `the comment is inside the stage horizontally: ${JSON.stringify(second)} in ${JSON.stringify(stage)}`);

    assert.ok(await deflatedFrames() > deflatedBefore, 'the comment reached the pages in a deflated frame');

    // the author sees it too, and the composer is cleared once the server accepted the post
    await alice.locator('[data-testid=danmaku].mine', { hasText: text }).waitFor({ state: 'attached', timeout: WAIT_MS });
    await alice.waitForFunction(() => document.querySelector('[data-testid=input]').value === '', null, { timeout: WAIT_MS });

    // a gift published by a backend through the server API shows as a banner
    await apiPublish(room, { cmd: 'GIFT', gift: 'rocket', count: 2, user: { id: 'fan-1', name: 'Carol' } });
    await bob.locator('[data-testid=event]', { hasText: 'Carol sent 2 × rocket' }).waitFor({ timeout: WAIT_MS });

    // the comment flies for 8 s: it is still on the stage for the screenshot
    mkdirSync(fileURLToPath(new URL('../target/', import.meta.url)), { recursive: true });
    await bob.screenshot({ path: SCREENSHOT });
    console.log(`screenshot of Bob's page: ${SCREENSHOT}`);

    assert.deepEqual(pageErrors, [], 'the pages raised no error');
  });

  test('replay mode flies the recording\'s comments at the moments they were posted (fake clock)', { timeout: 60_000 },
    async () => {
      if (!browser) await launch();
      const room = uniqueRoom('replay');
      const texts = ['first', 'second', 'third'].map((t) => `${t} ${randomUUID().slice(0, 6)}`);
      for (const text of texts) await apiPublish(room, { text });

      // the stream "started" 370 s before the first comment: they all lie in segment 1 (from 360 s)
      const history = await eventually(async () => {
        const res = await fetch(`${httpBase}/api/rooms/${room}/history`, { headers: { 'X-API-Key': server.apiKey } });
        const body = await res.json();
        return body.messages && body.messages.length === texts.length ? body.messages : null;
      }, WAIT_MS, 'the comments are in the history');
      const start = history[0].time - 370_000;
      const set = await api('stream_start', { channel: room, start_ms: start });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const segment = await (await fetch(`${httpBase}/api/rooms/${room}/timeline?from_ms=360000`)).json();
      assert.deepEqual(segment.messages.map((m) => m.text), texts);
      const positions = segment.messages.map((m) => m.position_ms);

      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(`replay: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`replay console: ${m.text()}`); });
      const asked = [];
      page.on('request', (r) => { if (r.url().includes('/timeline')) asked.push(new URL(r.url()).search); });
      const t0 = new Date('2025-01-01T00:00:00Z').getTime();
      await page.clock.install({ time: t0 });
      await page.goto(`${httpBase}/?room=${encodeURIComponent(room)}&replay=1`);
      await page.locator('[data-testid=status][data-state=replay]').waitFor({ timeout: WAIT_MS });
      await page.clock.pauseAt(t0 + 10_000); // from here the page's time moves only when the test says
      const flying = page.locator('[data-testid=danmaku]');
      const loaded = (list) => page.waitForFunction(
        (want) => document.querySelector('[data-testid=stage]').getAttribute('data-loaded-segments') === want,
        list, { timeout: WAIT_MS });
      // the page's position in the recording: it ticks every 100 ms, so after 100 ms its label is at most 100 behind
      const position = async () => {
        await page.clock.runFor(100);
        return Number(await page.getAttribute('[data-testid=replay-position]', 'data-position-ms'));
      };
      const playTo = async (ms) => { // lands in [ms, ms + 100)
        const now = await position();
        if (ms > now) await page.clock.runFor(ms - now);
      };

      await loaded('0');
      // 5 min 35 s into the recording: segment 1 is fetched ahead of time, nothing has flown yet
      await playTo(335_000);
      await loaded('0,1');
      assert.equal(await flying.count(), 0, 'segment 0 has no comments');
      assert.deepEqual(asked, ['?from_ms=0', '?from_ms=360000'], 'one request per segment');

      // just before the first comment's moment: still nothing
      await playTo(positions[0] - 300);
      assert.equal(await flying.count(), 0, `nothing flies before ${positions[0]} ms`);
      assert.ok(await position() < positions[0], 'the page is still before the first comment');

      // past the last one: all three fly, in order
      await playTo(positions[2] + 500);
      for (const text of texts) {
        await page.locator('[data-testid=danmaku]', { hasText: text }).waitFor({ state: 'attached', timeout: WAIT_MS });
      }
      assert.deepEqual(await flying.allTextContents(), texts);
      assert.match(await page.textContent('[data-testid=replay-position]'), /^REPLAY 6:1\d$/);
      assert.deepEqual(pageErrors, [], 'the page raised no error');
      await context.close();
    });

  test('a comment a moderator deletes is taken off the stage at once', { timeout: 60_000 }, async () => {
    if (!browser) await launch();
    const room = uniqueRoom('retract');
    const bob = await viewer(room, 'Bob');
    const fine = `fine ${randomUUID().slice(0, 6)}`;
    const spam = `spam ${randomUUID().slice(0, 6)}`;
    await apiPublish(room, { text: fine });
    await apiPublish(room, { text: spam });
    const comment = bob.locator('[data-testid=danmaku]', { hasText: spam });
    await comment.waitFor({ state: 'visible', timeout: WAIT_MS });
    const id = await comment.getAttribute('data-id');
    assert.match(id, /^[0-9A-Z]{26}$/, 'the comment carries its message id');

    const res = await api('delete', { channel: room, id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // it flies for 8 s: gone well before that
    await comment.waitFor({ state: 'detached', timeout: 3_000 });
    assert.equal(await bob.locator('[data-testid=danmaku]', { hasText: fine }).count(), 1, 'the other comment stays');
    await bob.locator('[data-testid=log]', { hasText: '1 message deleted by a moderator, 1 taken off the stage' })
      .waitFor({ state: 'attached', timeout: WAIT_MS });
    assert.deepEqual(pageErrors, [], 'the page raised no error');
  });
});
