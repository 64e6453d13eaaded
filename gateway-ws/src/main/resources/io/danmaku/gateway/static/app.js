/*
 * Danmaku demo page: a minimal Centrifugo client protocol v2 (JSON) client and a danmaku renderer.
 * No dependencies. All user-supplied text goes into the page through textContent only.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------- settings
  var ROOM_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
  var CALL_TIMEOUT_MS = 5000;
  var PRESENCE_INTERVAL_MS = 5000;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var MAX_SERVER_PING_DELAY_MS = 10000;
  var SCROLL_DURATION_MS = 8000;
  var FIXED_DURATION_MS = 4000;
  var MAX_ON_STAGE = 150;
  var MAX_RECOVERED_SHOWN = 40;
  var RECOVERED_STAGGER_MS = 150;
  var MAX_BANNERS = 3;
  var BANNER_MS = 5000;
  var MAX_LOG_LINES = 80;
  var SEEN_OFFSETS_KEPT = 1000;
  var REPLAY_SEGMENT_MS = 360000; // the timeline API's fixed segment
  var REPLAY_TICK_MS = 100;
  var REPLAY_PREFETCH_MS = 30000; // fetch the next segment this long before it starts
  var REPLAY_LATE_MS = 2000; // a message that came in later than this after its moment is skipped, not burst
  var MODE_SCROLL = 1;
  var MODE_BOTTOM = 4;
  var MODE_TOP = 5;
  var PRESET_COLORS = [
    ['White', 0xffffff], ['Red', 0xfe0302], ['Orange', 0xff7204], ['Yellow', 0xffe133],
    ['Green', 0x00cd00], ['Blue', 0x00a0ff], ['Pink', 0xff6b8b], ['Purple', 0xa77dff]
  ];

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    room: $('room-name'), online: $('online'), status: $('status'), statusText: $('status-text'),
    reconnect: $('reconnect'), stage: $('stage'), layer: $('danmaku-layer'), banners: $('banner-layer'),
    form: $('composer'), input: $('text'), send: $('send'), swatches: $('swatches'), color: $('custom-color'),
    mode: $('mode'), show: $('show-danmaku'), whoami: $('whoami'), readonly: $('readonly-note'), log: $('log')
  };

  // ---------------------------------------------------------------- small helpers
  function log(kind, text) {
    var last = ui.log.lastElementChild;
    if (last && last.className === kind && last.getAttribute('data-text') === text) {
      var repeat = Number(last.getAttribute('data-repeat')) + 1; // the same line again: count it, do not repeat it
      last.setAttribute('data-repeat', String(repeat));
      last.lastElementChild.textContent = ' ×' + repeat;
      return;
    }
    var li = document.createElement('li');
    li.setAttribute('data-text', text);
    li.setAttribute('data-repeat', '1');
    li.className = kind;
    var time = document.createElement('time');
    var now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toTimeString().slice(0, 8);
    var span = document.createElement('span');
    span.textContent = text;
    var count = document.createElement('span');
    count.className = 'repeat';
    li.append(time, span, count);
    var atBottom = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 4;
    ui.log.appendChild(li);
    while (ui.log.childElementCount > MAX_LOG_LINES) ui.log.firstElementChild.remove();
    if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function randomId() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === 'function') return c.randomUUID();
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  function colorCss(value) {
    var n = Number(value);
    if (!Number.isFinite(n)) n = 0xffffff;
    return '#' + ((n >>> 0) & 0xffffff).toString(16).padStart(6, '0');
  }

  function isDark(css) {
    var n = parseInt(css.slice(1), 16);
    var r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.22;
  }

  function toOffset(v) {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
    return null;
  }

  function userName(user) {
    if (!user || typeof user !== 'object') return '';
    return String(user.name || user.id || '');
  }

  // ---------------------------------------------------------------- page parameters
  var params = new URLSearchParams(location.search);
  var room = params.get('room') || 'lobby';
  if (!ROOM_PATTERN.test(room)) {
    log('error', 'invalid room id "' + room.slice(0, 80) + '" (expected 1..64 of A-Z a-z 0-9 _ . : -); using "lobby"');
    room = 'lobby';
  }
  var myName = (params.get('name') || '').trim() || 'guest-' + (1000 + Math.floor(Math.random() * 9000));
  ui.room.textContent = room;
  document.title = room + ' · Danmaku demo';

  // ---------------------------------------------------------------- stage renderer
  var stage = { width: 0, height: 0, laneHeight: 30, scroll: [], top: [], bottom: [] };
  var dropped = 0;

  function measureStage() {
    stage.width = ui.stage.clientWidth;
    stage.height = ui.stage.clientHeight;
    var font = Math.max(14, Math.min(36, Math.round(stage.height / 15)));
    ui.stage.style.setProperty('--danmaku-size', font + 'px');
    stage.laneHeight = Math.round(font * 1.3);
    var lanes = Math.max(1, Math.floor((stage.height - 12) / stage.laneHeight));
    [stage.scroll, stage.top, stage.bottom].forEach(function (arr) {
      arr.length = lanes;
      for (var i = 0; i < lanes; i++) if (arr[i] === undefined) arr[i] = null;
    });
  }

  // A scroll lane is free when the previous comment has fully entered and the new one (its own speed) will not
  // catch up with it before it leaves the stage.
  function scrollLaneFree(last, now, width) {
    if (!last) return true;
    var W = stage.width, gap = stage.laneHeight;
    var vPrev = (W + last.width) / last.duration;
    var vNew = (W + width) / SCROLL_DURATION_MS;
    var entered = last.start + (last.width + gap) / vPrev <= now;
    var noCatchUp = now + W / vNew >= last.start + last.duration;
    return entered && noCatchUp;
  }

  function removeComment(el) {
    if (el.parentNode) el.parentNode.removeChild(el);
  }

  function makeComment(data, mode, offset) {
    var el = document.createElement('div');
    var css = colorCss(data.color);
    el.className = 'danmaku' + (isDark(css) ? ' dark' : '') + (mode === MODE_SCROLL ? '' : ' fixed');
    if (me && data.user && data.user.id === me.id) el.classList.add('mine');
    el.style.color = css;
    el.textContent = String(data.text);
    el.setAttribute('data-testid', 'danmaku');
    el.setAttribute('data-mode', String(mode));
    if (toOffset(offset) !== null) el.setAttribute('data-offset', String(offset));
    if (typeof data.id === 'string') el.setAttribute('data-id', data.id);
    var name = userName(data.user);
    if (name) el.title = name;
    return el;
  }

  function showComment(data, offset) {
    // MAX_ON_STAGE also bounds a background tab, where animations and timers are throttled
    if (ui.layer.childElementCount >= MAX_ON_STAGE) {
      if (++dropped % 100 === 1) log('warn', 'stage is full, some comments are not shown');
      return;
    }
    if (!stage.width) measureStage();
    var mode = Number(data.mode);
    if (mode !== MODE_TOP && mode !== MODE_BOTTOM) mode = MODE_SCROLL;
    var el = makeComment(data, mode, offset);
    var now = performance.now();
    if (mode === MODE_SCROLL) {
      el.style.visibility = 'hidden';
      el.style.transform = 'translateX(' + stage.width + 'px)';
      ui.layer.appendChild(el);
      var width = el.offsetWidth;
      var lane = pickLane(stage.scroll, function (last) { return scrollLaneFree(last, now, width); },
        function (last) { return last.start; });
      stage.scroll[lane] = { start: now, width: width, duration: SCROLL_DURATION_MS };
      el.style.top = (4 + lane * stage.laneHeight) + 'px';
      el.style.visibility = '';
      fly(el, 'translateX(' + stage.width + 'px)', 'translateX(' + (-width - 4) + 'px)', SCROLL_DURATION_MS);
    } else {
      var lanes = mode === MODE_TOP ? stage.top : stage.bottom;
      var fixedLane = pickLane(lanes, function (last) { return !last || last.until <= now; },
        function (last) { return last.until; });
      lanes[fixedLane] = { until: now + FIXED_DURATION_MS };
      if (mode === MODE_TOP) el.style.top = (4 + fixedLane * stage.laneHeight) + 'px';
      else el.style.top = (stage.height - 10 - (fixedLane + 1) * stage.laneHeight) + 'px';
      ui.layer.appendChild(el);
      setTimeout(function () { removeComment(el); }, FIXED_DURATION_MS);
    }
  }

  // The first free lane, else the lane whose occupant is oldest (comments then overlap rather than wait).
  function pickLane(lanes, isFree, age) {
    var best = 0, bestAge = Infinity;
    for (var i = 0; i < lanes.length; i++) {
      if (isFree(lanes[i])) return i;
      var a = age(lanes[i]);
      if (a < bestAge) { bestAge = a; best = i; }
    }
    return best;
  }

  function fly(el, from, to, duration) {
    if (typeof el.animate === 'function') {
      var anim = el.animate([{ transform: from }, { transform: to }], { duration: duration, easing: 'linear' });
      anim.onfinish = function () { removeComment(el); };
    } else {
      el.style.transition = 'transform ' + duration + 'ms linear';
      void el.offsetWidth;
      el.style.transform = to;
    }
    // also removed by a timer, in case the animation was throttled (background tab) or is unsupported
    setTimeout(function () { removeComment(el); }, duration + 1000);
  }

  function showBanner(kind, text) {
    var div = document.createElement('div');
    div.className = 'banner ' + kind;
    div.setAttribute('data-testid', 'event');
    div.textContent = text;
    ui.banners.appendChild(div);
    while (ui.banners.childElementCount > MAX_BANNERS) ui.banners.firstElementChild.remove();
    setTimeout(function () {
      div.classList.add('leaving');
      setTimeout(function () { div.remove(); }, 450);
    }, BANNER_MS);
  }

  // Ids of retracted messages (bounded), so a message shown late (staggered recovery) stays hidden.
  var retracted = new Set();
  function rememberRetracted(id) {
    retracted.add(id);
    if (retracted.size > 1000) retracted.delete(retracted.values().next().value);
  }

  function showEvent(data) {
    var cmd = String(data.cmd);
    var who = userName(data.user);
    if (cmd === 'GIFT') {
      var gift = data.gift && typeof data.gift === 'object' ? (data.gift.name || data.gift.id) : data.gift;
      var count = Number(data.count || data.num) > 1 ? Number(data.count || data.num) + ' × ' : '';
      var text = (who || 'Someone') + ' sent ' + count + (gift ? String(gift) : 'a gift');
      showBanner('gift', '🎁 ' + text);
      log('gift', 'gift: ' + text);
    } else if (cmd === 'DELETE') {
      // a moderator retracted messages: take them off the stage, and never show them later (recovery, replay)
      var ids = Array.isArray(data.ids) ? data.ids : [];
      var removed = 0;
      ids.forEach(function (id) {
        if (typeof id !== 'string') return;
        rememberRetracted(id);
        Array.prototype.forEach.call(ui.layer.querySelectorAll('[data-testid=danmaku]'), function (el) {
          if (el.getAttribute('data-id') === id) { removeComment(el); removed++; }
        });
      });
      log('info', ids.length + ' message' + (ids.length === 1 ? '' : 's') + ' deleted by a moderator'
        + (removed ? ', ' + removed + ' taken off the stage' : ''));
    } else if (cmd === 'NOTICE') {
      var notice = String(data.text || data.message || '');
      showBanner('notice', '📢 ' + notice);
      log('notice', 'notice: ' + notice);
    } else {
      log('info', 'event ' + cmd + (who ? ' from ' + who : '') + (data.text ? ': ' + String(data.text) : ''));
    }
  }

  // ---------------------------------------------------------------- protocol client
  var conn = {
    ws: null, nextId: 1, pending: new Map(), pong: false, pingMs: 0, pingTimer: null,
    subscribed: false, epoch: null, offset: null, seen: new Set(), seenOrder: [],
    attempt: 0, reconnectTimer: null, presenceTimer: null, disconnect: null, retried112: false
  };
  var token = null;
  var me = null;
  var anonymous = false;

  function CallError(code, message, temporary) {
    this.code = code;
    this.message = message;
    this.temporary = !!temporary;
  }

  function setStatus(state, text) {
    ui.status.setAttribute('data-state', state);
    ui.statusText.textContent = text;
    ui.reconnect.hidden = state !== 'closed';
    updateComposer();
  }

  function updateComposer() {
    var canPost = conn.subscribed && !anonymous;
    ui.input.disabled = !canPost;
    ui.send.disabled = !canPost;
    ui.form.classList.toggle('readonly', anonymous);
    ui.readonly.hidden = !anonymous;
  }

  function setOnline(n) {
    ui.online.setAttribute('data-count', String(n));
    ui.online.textContent = n.toLocaleString() + ' watching';
  }

  async function start() {
    clearTimeout(conn.reconnectTimer);
    conn.reconnectTimer = null;
    setStatus('connecting', 'connecting…');
    try {
      await obtainToken();
    } catch (e) {
      log('error', 'could not get a demo token: ' + e.message);
      scheduleReconnect();
      return;
    }
    openSocket();
  }

  async function obtainToken() {
    var res = await fetch('/demo/token', {
      method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: myName })
    });
    if (res.status === 404) {
      if (!anonymous) log('info', 'demo tokens are disabled on this server: watching read-only');
      token = null; me = null; anonymous = true;
      ui.whoami.textContent = 'watching anonymously';
      return;
    }
    if (!res.ok) {
      var detail = (await res.text().catch(function () { return ''; })).slice(0, 200);
      if (res.status >= 500 || res.status === 429) throw new Error('HTTP ' + res.status + (detail ? ': ' + detail : ''));
      log('error', 'demo token refused (HTTP ' + res.status + (detail ? ': ' + detail : '') + '): watching read-only');
      token = null; me = null; anonymous = true;
      ui.whoami.textContent = 'watching anonymously';
      return;
    }
    var body = await res.json();
    if (!body || typeof body.token !== 'string') throw new Error('the reply has no token');
    token = body.token;
    me = body.user && typeof body.user === 'object' ? body.user : null;
    anonymous = false;
    ui.whoami.textContent = 'posting as ' + (userName(me) || myName);
  }

  function openSocket() {
    cleanup(); // a second start (button, network back) replaces any socket still around
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/connection/websocket';
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      log('error', 'cannot open WebSocket: ' + e.message);
      scheduleReconnect();
      return;
    }
    ws.binaryType = 'arraybuffer';
    conn.ws = ws;
    conn.nextId = 1;
    ws.onopen = function () {
      if (ws !== conn.ws) return;
      var params = { name: 'demo' };
      if (token) params.token = token;
      call('connect', params).then(onConnected, onConnectError);
    };
    ws.onmessage = function (ev) {
      if (ws !== conn.ws) return;
      var text = typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data);
      onFrame(text);
    };
    ws.onclose = function (ev) {
      if (ws !== conn.ws) return;
      onClosed(ev.code, ev.reason);
    };
  }

  function send(command) {
    if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(JSON.stringify(command));
    return true;
  }

  function call(method, params) {
    var id = conn.nextId++;
    return new Promise(function (resolve, reject) {
      var command = { id: id };
      command[method] = params;
      if (!send(command)) {
        reject(new CallError(0, 'not connected', true));
        return;
      }
      var timer = setTimeout(function () {
        conn.pending.delete(id);
        reject(new CallError(0, method + ' timed out', true));
      }, CALL_TIMEOUT_MS);
      conn.pending.set(id, { method: method, resolve: resolve, reject: reject, timer: timer });
    });
  }

  function onFrame(text) {
    armPingWatchdog();
    var lines = text.split('\n');
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line) continue;
      var reply;
      try {
        reply = JSON.parse(line);
      } catch (e) {
        log('warn', 'ignored a reply that is not JSON');
        continue;
      }
      if (reply && typeof reply === 'object') onReply(reply);
    }
  }

  function onReply(reply) {
    if (reply.id) {
      var p = conn.pending.get(reply.id);
      if (!p) return;
      conn.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.error) p.reject(new CallError(reply.error.code, String(reply.error.message || ''), reply.error.temporary));
      else p.resolve(reply[p.method] || {});
    } else if (reply.push) {
      onPush(reply.push);
    } else if (reply.error) {
      log('error', 'server error ' + reply.error.code + ': ' + reply.error.message);
    } else if (conn.pong) {
      send({}); // an empty reply is a ping
    }
  }

  function armPingWatchdog() {
    clearTimeout(conn.pingTimer);
    if (!conn.pingMs) return;
    conn.pingTimer = setTimeout(function () {
      log('warn', 'no ping from the server: reconnecting');
      dropConnection();
    }, conn.pingMs + MAX_SERVER_PING_DELAY_MS);
  }

  function onConnected(result) {
    conn.pong = !!result.pong;
    conn.pingMs = Number(result.ping) > 0 ? Number(result.ping) * 1000 : 0;
    armPingWatchdog();
    setStatus('connecting', 'joining ' + room + '…');
    subscribe();
  }

  function onConnectError(err) {
    if (err.code === 109 || err.temporary || err.code === 0) {
      if (err.code !== 0) log('warn', 'connect: ' + err.message + ' (code ' + err.code + ')');
      dropConnection();
    } else {
      closeTerminally('connect refused: ' + err.message + ' (code ' + err.code + ')');
    }
  }

  function subscribe() {
    var req = { channel: room };
    var recovering = conn.epoch !== null && conn.offset !== null;
    if (recovering) {
      req.recover = true;
      req.offset = conn.offset;
      req.epoch = conn.epoch;
    }
    call('subscribe', req).then(function (res) { onSubscribed(res, recovering); }, onSubscribeError);
  }

  function onSubscribed(res, recovering) {
    if (typeof res.epoch === 'string' && res.epoch) {
      if (conn.epoch !== null && res.epoch !== conn.epoch) {
        log('warn', 'the room stream was restarted; earlier comments cannot be recovered');
        forgetPosition();
      }
      conn.epoch = res.epoch;
      var top = toOffset(res.offset) === null ? 0 : toOffset(res.offset);
      if (conn.offset === null || top > conn.offset) conn.offset = top;
    }
    var pubs = Array.isArray(res.publications) ? res.publications : [];
    var fresh = pubs.map(acceptPublication).filter(Boolean);
    fresh.slice(-MAX_RECOVERED_SHOWN).forEach(function (pub, i) {
      setTimeout(function () { render(pub); }, i * RECOVERED_STAGGER_MS);
    });
    if (!recovering) {
      log('info', 'joined ' + room + (anonymous ? ' (read-only)' : ' as ' + (userName(me) || myName)));
    } else {
      if (res.recovered) log('info', 'reconnected; recovered ' + fresh.length + ' missed message(s)');
      else log('warn', 'reconnected; missed messages could not all be recovered');
    }
    conn.subscribed = true;
    conn.attempt = 0;
    conn.retried112 = false;
    setStatus('connected', anonymous ? 'connected · read-only' : 'connected');
    clearInterval(conn.presenceTimer);
    conn.presenceTimer = setInterval(presenceStats, PRESENCE_INTERVAL_MS);
    presenceStats();
  }

  function onSubscribeError(err) {
    if (err.code === 112 && !conn.retried112) {
      log('warn', 'cannot recover from the last position; joining from now');
      conn.retried112 = true;
      forgetPosition();
      subscribe();
    } else if (err.temporary || err.code === 0) {
      log('warn', 'subscribe: ' + err.message);
      dropConnection();
    } else {
      closeTerminally('cannot join ' + room + ': ' + err.message + ' (code ' + err.code + ')');
    }
  }

  function forgetPosition() {
    conn.epoch = null;
    conn.offset = null;
    conn.seen.clear();
    conn.seenOrder = [];
  }

  function presenceStats() {
    if (!conn.subscribed) return;
    call('presence_stats', { channel: room }).then(function (res) {
      setOnline(Number(res.num_clients) || 0); // zero fields may be omitted
    }, function (err) {
      if (err.code) log('warn', 'online count unavailable: ' + err.message);
    });
  }

  function onPush(push) {
    if (push.channel && push.channel !== room) return;
    if (push.pub) {
      var pub = acceptPublication(push.pub);
      if (pub) render(pub);
    } else if (push.disconnect) {
      conn.disconnect = push.disconnect; // the close that follows carries the decision
    } else if (push.unsubscribe) {
      conn.subscribed = false;
      clearInterval(conn.presenceTimer);
      var u = push.unsubscribe;
      if (Number(u.code) >= 2500) {
        closeTerminally('removed from ' + room + ': ' + (u.reason || 'code ' + u.code));
      } else {
        log('warn', 'unsubscribed by the server (' + (u.reason || 'code ' + u.code) + '); joining again');
        setStatus('connecting', 'joining ' + room + '…');
        setTimeout(function () { if (!conn.subscribed && conn.ws) subscribe(); }, 1000);
      }
    }
  }

  // Tracks the position and drops a publication seen before (recovery may overlap live pushes).
  function acceptPublication(pub) {
    if (!pub || typeof pub !== 'object') return null;
    var offset = toOffset(pub.offset);
    if (offset !== null) {
      if (conn.seen.has(offset)) return null;
      conn.seen.add(offset);
      conn.seenOrder.push(offset);
      if (conn.seenOrder.length > SEEN_OFFSETS_KEPT) conn.seen.delete(conn.seenOrder.shift());
      if (conn.offset === null || offset > conn.offset) conn.offset = offset;
    }
    var data = pub.data;
    if (typeof data === 'string') {
      try { data = JSON.parse(data); } catch (e) { return null; }
    }
    if (!data || typeof data !== 'object') return null;
    // the position is the publication's (data does not repeat it); the epoch came with the subscribe reply
    return { data: data, offset: offset };
  }

  function render(pub) {
    var data = pub.data;
    try {
      if (data.cmd !== undefined && data.cmd !== null) showEvent(data);
      else if (typeof data.text === 'string' && data.text && !retracted.has(data.id)) showComment(data, pub.offset);
    } catch (e) {
      log('error', 'could not show a message: ' + e.message);
    }
  }

  async function post(text) {
    var data = { text: text, color: parseInt(ui.color.value.slice(1), 16), mode: Number(ui.mode.value),
      clientMsgId: randomId() };
    ui.send.disabled = true;
    try {
      await call('publish', { channel: room, data: data });
      if (ui.input.value === text) ui.input.value = '';
    } catch (err) {
      log('error', 'not sent: ' + err.message + (err.code ? ' (code ' + err.code + ')' : ''));
    } finally {
      updateComposer();
      if (!ui.input.disabled) ui.input.focus();
    }
  }

  function cleanup() {
    clearTimeout(conn.pingTimer);
    clearInterval(conn.presenceTimer);
    conn.pending.forEach(function (p) {
      clearTimeout(p.timer);
      p.reject(new CallError(0, 'disconnected', true));
    });
    conn.pending.clear();
    conn.subscribed = false;
    conn.pingMs = 0;
    var ws = conn.ws;
    conn.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
    }
  }

  // Closes the connection from our side and reconnects with backoff.
  function dropConnection() {
    if (!conn.ws) return;
    cleanup();
    scheduleReconnect();
  }

  function onClosed(code, reason) {
    var d = conn.disconnect;
    conn.disconnect = null;
    if (d && d.code) {
      code = Number(d.code);
      reason = d.reason || reason;
    }
    cleanup();
    // Centrifugo: 3500..3999 and 4500..4999 mean "do not reconnect"; anything else is worth another try.
    if ((code >= 3500 && code < 4000) || (code >= 4500 && code < 5000)) {
      closeTerminally('disconnected: ' + (reason || 'code ' + code) + ' (code ' + code + ')');
      return;
    }
    log('warn', 'connection closed' + (reason ? ': ' + reason : '') + ' (code ' + code + ')');
    scheduleReconnect();
  }

  function closeTerminally(message) {
    cleanup();
    clearTimeout(conn.reconnectTimer);
    conn.reconnectTimer = null;
    log('error', message);
    setStatus('closed', message);
  }

  function scheduleReconnect() {
    clearTimeout(conn.reconnectTimer);
    var ceiling = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, conn.attempt));
    var delay = Math.max(BACKOFF_MIN_MS, Math.round(Math.random() * ceiling));
    conn.attempt = Math.min(conn.attempt + 1, 10);
    setStatus('reconnecting', 'reconnecting in ' + (delay / 1000).toFixed(1) + ' s');
    conn.reconnectTimer = setTimeout(start, delay);
  }

  // ---------------------------------------------------------------- composer wiring
  PRESET_COLORS.forEach(function (preset, i) {
    var label = document.createElement('label');
    label.className = 'swatch-option';
    label.title = preset[0];
    var input = document.createElement('input');
    input.type = 'radio';
    input.name = 'color';
    input.value = colorCss(preset[1]);
    input.checked = i === 0;
    input.setAttribute('aria-label', preset[0]);
    var dot = document.createElement('span');
    dot.className = 'swatch';
    dot.style.background = input.value;
    dot.setAttribute('aria-hidden', 'true');
    input.addEventListener('change', function () { if (input.checked) ui.color.value = input.value; });
    label.append(input, dot);
    ui.swatches.appendChild(label);
  });
  ui.color.addEventListener('input', function () {
    ui.swatches.querySelectorAll('input').forEach(function (r) { r.checked = r.value === ui.color.value.toLowerCase(); });
  });

  ui.form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = ui.input.value.trim();
    if (!text || ui.send.disabled) return;
    post(text);
  });
  ui.show.addEventListener('change', function () { ui.stage.classList.toggle('hide-danmaku', !ui.show.checked); });
  ui.reconnect.addEventListener('click', function () { conn.attempt = 0; start(); });
  window.addEventListener('online', function () {
    if (conn.reconnectTimer) { conn.attempt = 0; start(); }
  });
  if (typeof ResizeObserver === 'function') new ResizeObserver(measureStage).observe(ui.stage);
  else window.addEventListener('resize', measureStage);

  // ---------------------------------------------------------------- replay of a recording (?replay=1)
  // The stage plays the room's recording from position 0 (or ?t=<seconds>); the comments posted while it was live
  // come from the timeline API one 6-minute segment at a time and fly at the moment they were posted.
  var replay = { startedAt: 0, from: 0, segments: {}, shown: {}, timer: null, label: null };

  function replayPosition() {
    return replay.from + (Date.now() - replay.startedAt);
  }

  function loadSegment(index) {
    if (replay.segments[index]) return;
    replay.segments[index] = 'loading';
    var url = '/api/rooms/' + encodeURIComponent(room) + '/timeline?from_ms=' + index * REPLAY_SEGMENT_MS;
    fetch(url).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error((body && body.error && body.error.message) || 'HTTP ' + res.status);
        return body;
      });
    }).then(function (body) {
      replay.segments[index] = Array.isArray(body.messages) ? body.messages : [];
      ui.stage.setAttribute('data-loaded-segments', Object.keys(replay.segments).filter(function (k) {
        return Array.isArray(replay.segments[k]);
      }).sort(function (a, b) { return a - b; }).join(','));
      if (body.stream_start === null && !replay.segments[index].length) log('warn', 'room ' + room + ' has no stream start: nothing to replay');
    }, function (e) {
      delete replay.segments[index]; // asked again at a later tick
      log('error', 'could not load timeline segment ' + index + ': ' + e.message);
    });
  }

  function replayTick() {
    var pos = replayPosition();
    var index = Math.floor(pos / REPLAY_SEGMENT_MS);
    loadSegment(index);
    if (pos - index * REPLAY_SEGMENT_MS >= REPLAY_SEGMENT_MS - REPLAY_PREFETCH_MS) loadSegment(index + 1);
    [index - 1, index].forEach(function (i) {
      var messages = replay.segments[i];
      if (!Array.isArray(messages)) return;
      messages.forEach(function (m) {
        var key = m.epoch + ':' + m.offset;
        if (replay.shown[key] || m.position_ms > pos) return;
        replay.shown[key] = true;
        if (m.position_ms >= pos - REPLAY_LATE_MS) render({ data: m, offset: m.offset });
      });
    });
    var seconds = Math.floor(pos / 1000);
    replay.label.setAttribute('data-position-ms', String(pos));
    replay.label.textContent = 'REPLAY ' + Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
  }

  function startReplay() {
    var t = Number(params.get('t') || 0);
    replay.from = Number.isFinite(t) && t > 0 ? Math.floor(t * 1000) : 0;
    replay.startedAt = Date.now();
    replay.label = ui.stage.querySelector('.stage-live');
    replay.label.setAttribute('data-testid', 'replay-position');
    ui.stage.setAttribute('data-mode', 'replay');
    ui.whoami.textContent = 'watching the recording';
    ui.status.setAttribute('data-state', 'replay');
    ui.statusText.textContent = 'replay';
    log('info', 'replaying the recording of room ' + room + ' from ' + Math.floor(replay.from / 1000) + ' s');
    replayTick();
    replay.timer = setInterval(replayTick, REPLAY_TICK_MS);
  }

  measureStage();
  setOnline(0);
  if (params.get('replay') === '1') {
    startReplay();
  } else {
    ui.whoami.textContent = 'posting as ' + myName;
    start();
  }
})();
