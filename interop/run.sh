#!/usr/bin/env bash
# Interop suite: starts the server with the README's launcher on free loopback ports, then runs the unmodified
# third-party clients (centrifuge, bilibili-live-ws) and/or the demo page in Debian's Chromium against it.
#
#   interop/run.sh [node|browser|all]      (default: all)
#
# Exit status: the tests'. The server is always stopped; its log is interop/target/server.log, and its tail is
# printed when something failed. Environment:
#   INTEROP_START_TIMEOUT  seconds to wait for /readyz (default 180: the first start may build the project)
set -euo pipefail

mode="${1:-all}"
case "$mode" in
  node | browser | all) ;;
  *) echo "usage: interop/run.sh [node|browser|all]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
interop="$root/interop"
target="$interop/target"
mkdir -p "$target"
log="$target/server.log"
start_timeout="${INTEROP_START_TIMEOUT:-180}"

say() { echo "interop: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

server_pid=""

stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid="$server_pid"
  server_pid=""
  kill -0 "$pid" 2>/dev/null || return 0
  # The server runs in its own process group (setsid): a build still running under the launcher goes too.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do # 20 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "server (pid $pid) did not stop within 20 s of SIGTERM: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

on_exit() {
  local rc=$?
  stop_server
  if [ "$rc" -ne 0 ] && [ -f "$log" ]; then
    say "FAILED (exit $rc); last lines of $log:"
    tail -n 60 "$log" | sed 's/^/  | /'
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dependencies (pinned by package-lock.json; npm ci only when node_modules is missing or stale)
t0="$(now)"
if [ ! -f "$interop/node_modules/.package-lock.json" ] || [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
  (cd "$interop" && npm ci --no-audit --no-fund)
  say "npm ci: $(since "$t0") s"
else
  say "node_modules is up to date with package-lock.json (no npm ci)"
fi

# ---- the server on two free loopback ports
read -r gateway_port admin_port < <(node -e '
  const net = require("net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port);
      a.close(); b.close();
    });
  });')
secret="interop-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
api_key="interop-api-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

t0="$(now)"
say "starting the server: gateway 127.0.0.1:$gateway_port, admin 127.0.0.1:$admin_port, log $log"
setsid ./danmaku standalone \
  --set gateway.host=127.0.0.1 --set gateway.port="$gateway_port" \
  --set admin.host=127.0.0.1 --set admin.port="$admin_port" \
  --set token.hmac.secret="$secret" --set api.key="$api_key" \
  --set demo.tokens=true \
  --set gateway.online.report-interval=200ms \
  --set gateway.drain.window=0s \
  --set gateway.join-leave.rooms='jl-*' \
  >"$log" 2>&1 </dev/null &
server_pid=$!

deadline=$(($(date +%s) + start_timeout))
until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$admin_port/readyz" 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    say "the server exited before it was ready"
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    say "the server was not ready within ${start_timeout} s (INTEROP_START_TIMEOUT)"
    exit 1
  fi
  sleep 0.5
done
say "server ready: $(since "$t0") s"

export INTEROP_GATEWAY_PORT="$gateway_port" INTEROP_ADMIN_PORT="$admin_port"
export INTEROP_TOKEN_SECRET="$secret" INTEROP_API_KEY="$api_key"

# ---- the tests
run_tests() { # name, files...
  local name="$1"
  shift
  local t rc=0
  t="$(now)"
  (cd "$interop" && node --test --test-reporter=spec "$@") || rc=$?
  say "$name tests: $(since "$t") s (exit $rc)"
  return "$rc"
}

status=0
if [ "$mode" = node ] || [ "$mode" = all ]; then
  run_tests node test/centrifuge.test.mjs test/centrifuge-protobuf.test.mjs test/bilibili.test.mjs \
    test/serverapi.test.mjs test/stall.test.mjs test/uni.test.mjs test/joinleave.test.mjs || status=1
fi
if [ "$mode" = browser ] || [ "$mode" = all ]; then
  run_tests browser test/browser.test.mjs || status=1
  [ -f "$target/demo-page.png" ] && say "screenshot of the demo page: $target/demo-page.png"
fi
exit "$status"
