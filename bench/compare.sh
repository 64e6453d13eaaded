#!/usr/bin/env bash
# compare.sh: Danmaku side by side with the servers a user would otherwise pick, on this machine, in one run,
# with the same load tool (bench/danmaku-bench) and the same parameters, one server after another:
#   nchan     Debian's nginx + libnginx-mod-nchan (HTTP pub, WebSocket sub), 2 workers
#   ws        a Node `ws` broadcast server, one frame per message           (bench/peers/ws)
#   ws-batch  the same, messages of each 50 ms window in one frame
#   danmaku   ./danmaku standalone (Centrifugo JSON protocol; batching window 50 ms)
#   danmaku-deflate   the same, the subscribers offering permessage-deflate (shared compressed frames)
#   danmaku-protobuf  the same server, Centrifugo's Protobuf variant (subprotocol centrifuge-protobuf, binary frames)
#   danmaku-protobuf-deflate  the same, the subscribers offering permessage-deflate (shared compressed binary frames)
#   danmaku-bilibili  the same server, Bilibili protocol (protover 1)
#   danmaku-bilibili3 the same server, Bilibili protocol protover 3 (brotli bodies)
#   ws-batch-deflate  the Node peer with 50 ms batches and its own permessage-deflate (a context per connection)
#   danmaku-dist      deploy/local/up.sh (Kafka + Redis Cluster + logic + storage + 2 gateways), if asked
#                     (not exercised in the first measurement session: see docs/BENCHMARKS.md)
#
# For each server and each audience size N it runs one `fanout` with rate steps R = D / N for each offered
# deliveries/s D (warm-up first, stop at the first step that loses a message, has p99 > 250 ms or does not keep
# up with the offered rate), then, if
# IDLE > 0, one `idle` run. Every server is started here and stopped by its PID after its runs. Loopback only;
# every step is bounded in time.
#
# Settings (environment):
#   SERVERS      default "nchan ws ws-batch danmaku"
#   SUBSCRIBERS  default "1000 10000"       audience sizes (N up to ~19,000: 20,000 files per process here; "" = none)
#   DELIVERIES   default "100000 250000 500000 1000000 1500000 2000000 3000000 4000000 6000000"
#   DURATION     default 8s                 length of each rate step
#   WARMUP       default 5s                 warm-up before a sweep's first step, at its first rate (every server
#                                           alike; 30s lets the JVM's JIT finish, see docs/BENCHMARKS.md run 6)
#   PEER_BATCH_MS default 50                the Node peer's batch window (ws-batch, ws-batch-deflate)
#   SERVER_SETS  default ""                 extra configuration of our server, e.g. "gateway.batch.window=150ms"
#                                           (each word becomes a --set)
#   MESSAGE      default "marker"           what is published: marker (a bare marker; peers padded to PEER_PAD) or
#                                           json (the same JSON object of MESSAGE_BYTES for every server: our API's
#                                           data, the peers' body; PEER_PAD is then not used)
#   MESSAGE_BYTES default 100               size of a json message
#   PEER_PAD     default 257                peers' messages are padded to this many bytes: the bytes per delivery of
#                                           our JSON protocol (bytes_per_delivery in its results), so every server
#                                           moves the same bytes per delivery (0 = the bare ~25-byte marker)
#   STOP_ON_FAIL default 1                  stop a sweep at its first failing step (0 = run every step)
#   IDLE         default 0                  connections of an idle-memory run per server (e.g. 15000)
#   SERVER_CMD   default "<repo>/danmaku"   how to start our server (a prebuilt copy: "java -cp ... io.danmaku.server.Main")
#   DANMAKU_JAVA_OPTS                       JVM options of our server (the launcher's default otherwise)
#   QUIET_LOAD   default 1.5                before each server, wait until the 1-minute load average is below this
#   QUIET_WAIT   default 300                ... but at most this many seconds (the load is recorded with each result)
#   LABEL_SUFFIX default ""                 appended to each server's label (e.g. "-jdk25")
#   SKIP_INSTALL=1                          do not apt-get / npm install
#   OUT          default bench/results/<date-time>
# Output: $OUT/raw.jsonl (one JSON line per step/run), $OUT/table.md, $OUT/env.txt, server logs, our server's
# /metrics at the end of its runs ($OUT/<name>.metrics).
set -euo pipefail
home="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS="${SERVERS:-nchan ws ws-batch danmaku}"
SUBSCRIBERS="${SUBSCRIBERS-1000 10000}"
DELIVERIES="${DELIVERIES:-100000 250000 500000 1000000 1500000 2000000 3000000 4000000 6000000}"
DURATION="${DURATION:-8s}"
IDLE="${IDLE:-0}"
SERVER_CMD="${SERVER_CMD:-$home/danmaku}"
OUT="${OUT:-$home/bench/results/$(date +%Y%m%d-%H%M%S)}"
bench="$home/bench/danmaku-bench"
PORT_NCHAN=18091 PORT_WS=18090 PORT_DANMAKU=18080 PORT_ADMIN=19100
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"   # absolute: nginx resolves its -c/-p paths against its own prefix
raw="$OUT/raw.jsonl"

log() { echo "[compare] $*" >&2; }

install_peers() {
  if [ "${SKIP_INSTALL:-0}" = 1 ]; then return; fi
  if ! dpkg -s nginx libnginx-mod-nchan >/dev/null 2>&1; then
    log "installing nginx + libnginx-mod-nchan (apt)"
    apt-get install -y -q nginx libnginx-mod-nchan >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q nginx libnginx-mod-nchan >/dev/null; }
  fi
  if [ ! -d "$home/bench/peers/ws/node_modules/ws" ]; then
    log "installing the ws peer (npm ci)"
    (cd "$home/bench/peers/ws" && npm ci --no-audit --no-fund >/dev/null)
  fi
}

wait_port() { # port, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

port_free() { # port: waits (bounded) until nothing listens there
  local i
  for ((i = 0; i < 300; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
    sleep 0.1
  done
  log "port $1 is still taken by another process"
  return 1
}

started() { # pid port seconds: the server is up and still ours
  wait_port "$2" "$3" && kill -0 "$1" 2>/dev/null
}

# start_server NAME: sets PIDS (comma list, for CPU/RSS), STOP_PID (what to signal), ARGS (tool target options)
start_server() {
  local name="$1"
  case "$name" in
    nchan)
      local dir="$OUT/nchan"
      mkdir -p "$dir"
      port_free "$PORT_NCHAN" || return 1
      sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$PORT_NCHAN#g" "$home/bench/peers/nchan/nginx.conf.template" >"$dir/nginx.conf"
      nginx -c "$dir/nginx.conf" -p "$dir" >"$dir/stdout.log" 2>&1 &
      STOP_PID=$!
      started "$STOP_PID" "$PORT_NCHAN" 20 || { log "nchan did not start"; cat "$dir/error.log" >&2; return 1; }
      sleep 0.5
      PIDS="$STOP_PID,$(pgrep -P "$STOP_PID" | paste -sd, -)"
      ARGS=(--protocol nchan --url "ws://127.0.0.1:$PORT_NCHAN/sub/{room}" --publish-url "http://127.0.0.1:$PORT_NCHAN/pub/{room}"
        --pad-to "${PEER_PAD:-257}")
      ;;
    ws | ws-batch | ws-batch-deflate)
      local batch=0 deflate=0
      if [ "$name" != ws ]; then batch="${PEER_BATCH_MS:-50}"; fi
      if [ "$name" = ws-batch-deflate ]; then deflate=1; fi
      port_free "$PORT_WS" || return 1
      (cd "$home/bench/peers/ws" && PORT=$PORT_WS BATCH_MS=$batch DEFLATE=$deflate exec node server.js) \
        >"$OUT/$name.log" 2>&1 &
      STOP_PID=$!
      started "$STOP_PID" "$PORT_WS" 20 || { log "$name did not start"; cat "$OUT/$name.log" >&2; return 1; }
      PIDS="$STOP_PID"
      ARGS=(--protocol peer-ws --url "ws://127.0.0.1:$PORT_WS/" --publish-url "http://127.0.0.1:$PORT_WS/pub"
        --pad-to "${PEER_PAD:-257}")
      if [ "$deflate" = 1 ]; then ARGS+=(--deflate); fi
      ;;
    danmaku | danmaku-deflate | danmaku-protobuf | danmaku-protobuf-deflate | danmaku-bilibili | danmaku-bilibili3)
      port_free "$PORT_DANMAKU" || return 1
      local sets=() kv
      for kv in ${SERVER_SETS:-}; do sets+=(--set "$kv"); done
      # shellcheck disable=SC2086
      $SERVER_CMD standalone --set gateway.port=$PORT_DANMAKU --set admin.port=$PORT_ADMIN --set api.key=bench-key \
        ${sets[@]+"${sets[@]}"} >"$OUT/$name.log" 2>&1 &
      STOP_PID=$!
      started "$STOP_PID" "$PORT_DANMAKU" 120 || { log "$name did not start"; tail -20 "$OUT/$name.log" >&2; return 1; }
      PIDS="$STOP_PID"
      case "$name" in
        danmaku) ARGS=(--protocol centrifuge --url "ws://127.0.0.1:$PORT_DANMAKU/connection/websocket") ;;
        danmaku-deflate) ARGS=(--protocol centrifuge --url "ws://127.0.0.1:$PORT_DANMAKU/connection/websocket"
          --deflate) ;;
        danmaku-protobuf) ARGS=(--protocol centrifuge-protobuf
          --url "ws://127.0.0.1:$PORT_DANMAKU/connection/websocket") ;;
        danmaku-protobuf-deflate) ARGS=(--protocol centrifuge-protobuf
          --url "ws://127.0.0.1:$PORT_DANMAKU/connection/websocket" --deflate) ;;
        danmaku-bilibili) ARGS=(--protocol bilibili --protover 1 --url "ws://127.0.0.1:$PORT_DANMAKU/sub") ;;
        danmaku-bilibili3) ARGS=(--protocol bilibili --protover 3 --url "ws://127.0.0.1:$PORT_DANMAKU/sub") ;;
      esac
      ARGS+=(--publish-url "http://127.0.0.1:$PORT_DANMAKU/api/publish" --api-key bench-key)
      ;;
    danmaku-dist)
      "$home/deploy/local/up.sh" >"$OUT/$name.log" 2>&1 || { log "deploy/local/up.sh failed"; tail -20 "$OUT/$name.log" >&2; return 1; }
      STOP_PID=""
      local run="${LOCAL_RUN:-$home/deploy/local/run}"
      # the JVMs of the stack (gateways, logic, storage, Kafka), not Redis: CPU and RSS of our tiers + Kafka
      PIDS="$(awk '$1 !~ /redis/ {print $2}' "$run/pids" | paste -sd, -)"
      ARGS=(--protocol centrifuge --url "ws://127.0.0.1:8080/connection/websocket,ws://127.0.0.1:8180/connection/websocket"
        --publish-url "http://127.0.0.1:8081/api/publish"
        --api-key "$(sed -n 's/^DANMAKU_API_KEY=//p' "$run/env")")
      ;;
    *) log "unknown server $name"; return 1 ;;
  esac
  log "$name started: pids $PIDS"
}

stop_server() {
  local name="$1"
  if [ "$name" = danmaku-dist ]; then
    "$home/deploy/local/down.sh" >>"$OUT/$name.log" 2>&1 || true
    return
  fi
  [ -n "${STOP_PID:-}" ] || return 0
  kill -TERM "$STOP_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$STOP_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$STOP_PID" 2>/dev/null || true
  wait "$STOP_PID" 2>/dev/null || true
  log "$name stopped"
}

wait_quiet() { # the load tool shares the cores with the server: other work on the machine is noise
  local limit="${QUIET_LOAD:-1.5}" waited=0
  while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v m="$limit" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "${QUIET_WAIT:-300}" ]; then
      log "load average still $(cut -d' ' -f1 /proc/loadavg) after ${waited}s: going on (noted with each result)"
      return
    fi
    sleep 10
    waited=$((waited + 10))
  done
}

rates_for() { # N → comma list of D/N for each D in DELIVERIES
  local n="$1" d out=""
  for d in $DELIVERIES; do
    out="$out,$(awk -v d="$d" -v n="$n" 'BEGIN { r = d / n; printf (r == int(r) ? "%d" : "%.2f"), r }')"
  done
  echo "${out#,}"
}

install_peers
{
  echo "date: $(date -Is)"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo "java: $(java -version 2>&1 | head -n 1)"
  echo "node: $(node --version 2>/dev/null)  ws: $(node -p "require('$home/bench/peers/ws/node_modules/ws/package.json').version" 2>/dev/null)"
  echo "nginx: $(nginx -v 2>&1)  nchan: $(dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null)"
  echo "servers: $SERVERS; subscribers: $SUBSCRIBERS; deliveries: $DELIVERIES; duration: $DURATION; idle: $IDLE"
  echo "message: ${MESSAGE:-marker} ${MESSAGE_BYTES:-100}; warm-up: ${WARMUP:-5s}; peer batch: ${PEER_BATCH_MS:-50} ms;" \
    "our settings: ${SERVER_SETS:-defaults}; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

stop=--stop-on-fail
[ "${STOP_ON_FAIL:-1}" = 1 ] || stop=
for server in $SERVERS; do
  wait_quiet
  trap 'stop_server "$server"' EXIT
  start_server "$server" || { stop_server "$server"; trap - EXIT; continue; }
  if [ "${MESSAGE:-marker}" = json ]; then
    ARGS+=(--message json --message-bytes "${MESSAGE_BYTES:-100}")
  fi
  for n in $SUBSCRIBERS; do
    log "$server: fanout, $n subscribers, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$bench" fanout "${ARGS[@]}" -n "$n" -r "$(rates_for "$n")" -d "$DURATION" --warmup "${WARMUP:-5s}" $stop \
      --server-pid "$PIDS" --label "$server${LABEL_SUFFIX:-}" | tee -a "$raw" || log "$server: fanout with $n failed"
  done
  if [ "$IDLE" -gt 0 ]; then
    gc=()
    case "$server" in danmaku*) gc=(--gc) ;; esac
    log "$server: idle, $IDLE connections"
    "$bench" idle "${ARGS[@]}" -n "$IDLE" --server-pid "$PIDS" ${gc[@]+"${gc[@]}"} --label "$server${LABEL_SUFFIX:-}" \
      | tee -a "$raw" \
      || log "$server: idle failed"
  fi
  case "$server" in # our meters over the whole run (frames, deliveries, batch sizes, compression)
    danmaku | danmaku-deflate | danmaku-protobuf | danmaku-protobuf-deflate | danmaku-bilibili | danmaku-bilibili3)
      curl -fsS --max-time 5 "http://127.0.0.1:$PORT_ADMIN/metrics" >"$OUT/$server.metrics" 2>/dev/null || true ;;
  esac
  stop_server "$server"
  trap - EXIT
  sleep 2
done

"$bench" table "$raw" >"$OUT/table.md"
cat "$OUT/table.md"
log "results in $OUT"
