#!/usr/bin/env bash
# The whole distributed stack on this machine, without containers, for trying the cluster locally:
#   Redis Cluster (3 masters + 3 replicas, Debian's redis-server) on 127.0.0.1:$REDIS_PORT..+5     (7000-7005)
#   Kafka (one KRaft broker, Maven Central jars, a child JVM) on 127.0.0.1:$KAFKA_PORT             (9092, 9093)
#   logic    gRPC $LOGIC_GRPC_PORT, server API http://127.0.0.1:$LOGIC_HTTP_PORT, admin $LOGIC_ADMIN_PORT
#                                                                                     (9090, 8081, 9101)
#   storage  history API http://127.0.0.1:$STORAGE_HTTP_PORT, admin $STORAGE_ADMIN_PORT, archive in $RUN/archive
#                                                                                           (8082, 9102)
#   gateway  ws://127.0.0.1:$GATEWAY1_PORT (admin $GATEWAY1_ADMIN_PORT) and ws://127.0.0.1:$GATEWAY2_PORT
#            (admin $GATEWAY2_ADMIN_PORT)                                      (8080, 9100, 8180, 9103)
# Every port is an environment variable with the default in brackets (not DANMAKU_*: those are server settings).
# Returns once every process is ready; deploy/local/down.sh stops all of it. If anything fails, up.sh says what
# and where its log is, stops what it started (by PID) and exits 1. The same DANMAKU_* settings reach every
# process (token secret and API key are generated once and kept in $RUN/env unless already set).
#
# Redis, Kafka and the roles start together: the roles wait for Redis and Kafka themselves (store.redis.connect-wait,
# bus.kafka.connect-wait). REDIS_DELAY=5 starts Redis 5 s late, to see that they do.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${DANMAKU_LOCAL_RUN:-$ROOT/deploy/local/run}
export -n DANMAKU_LOCAL_RUN 2>/dev/null || true  # ours, not a server setting: the roles refuse unknown DANMAKU_*
REDIS_PORT=${REDIS_PORT:-7000}
REDIS_DELAY=${REDIS_DELAY:-0}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
LOGIC_GRPC_PORT=${LOGIC_GRPC_PORT:-9090}
LOGIC_HTTP_PORT=${LOGIC_HTTP_PORT:-8081}
LOGIC_ADMIN_PORT=${LOGIC_ADMIN_PORT:-9101}
STORAGE_HTTP_PORT=${STORAGE_HTTP_PORT:-8082}
STORAGE_ADMIN_PORT=${STORAGE_ADMIN_PORT:-9102}
GATEWAY1_PORT=${GATEWAY1_PORT:-8080}
GATEWAY1_ADMIN_PORT=${GATEWAY1_ADMIN_PORT:-9100}
GATEWAY2_PORT=${GATEWAY2_PORT:-8180}
GATEWAY2_ADMIN_PORT=${GATEWAY2_ADMIN_PORT:-9103}
READY_TIMEOUT=${READY_TIMEOUT:-180}

fail() {
  echo "up.sh: $*" >&2
  exit 1
}

if [[ -s "$RUN/pids" ]]; then
  fail "a local stack seems to be running ($RUN/pids); run deploy/local/down.sh first"
fi
mkdir -p "$RUN/logs"
rm -f "$RUN/roles"

# From here on, whatever stops this script before the stack is ready stops what it started.
ready=0
on_exit() {
  if [[ $ready != 1 ]]; then
    echo "up.sh: not started; stopping what was started" >&2
    DANMAKU_LOCAL_RUN="$RUN" "$ROOT/deploy/local/down.sh" >&2 || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v redis-server >/dev/null || {
  echo "up.sh: installing Debian's redis-server" >&2
  apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null \
    || fail "could not install redis-server (apt-get failed; install it yourself)"
}

# Shared settings, generated once.
if [[ ! -f "$RUN/env" ]]; then
  {
    echo "DANMAKU_TOKEN_HMAC_SECRET=${DANMAKU_TOKEN_HMAC_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
    echo "DANMAKU_API_KEY=${DANMAKU_API_KEY:-local-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
  } > "$RUN/env"
fi
set -a
# shellcheck disable=SC1091
source "$RUN/env"
DANMAKU_BUS_TYPE=kafka
DANMAKU_BUS_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
DANMAKU_STORE_TYPE=redis
DANMAKU_STORE_REDIS_URIS=redis://127.0.0.1:$REDIS_PORT
DANMAKU_GATEWAY_LOGIC_TARGET=127.0.0.1:$LOGIC_GRPC_PORT
set +a

# Build (the launcher builds only when sources changed; its errors are shown) and the classpath of the Redis and
# Kafka launchers in testkit. `-am compile` resolves the sibling modules from this build (their target/classes),
# so nothing needs to be installed in ~/.m2 first.
"$ROOT/danmaku" --version >/dev/null || fail "the build failed (see above)"
CP_FILE="$ROOT/testkit/target/launcher.cp"
if [[ ! -s "$CP_FILE" || "$ROOT/testkit/pom.xml" -nt "$CP_FILE" || "$ROOT/protocol/pom.xml" -nt "$CP_FILE" ]]; then
  echo "up.sh: resolving the classpath of the Redis and Kafka launchers (./mvnw -pl testkit -am compile dependency:build-classpath)"
  (cd "$ROOT" && ./mvnw -q -B -pl testkit -am compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE") \
    || { rm -f "$CP_FILE"; fail "could not resolve the testkit classpath (Maven's error is above)"; }
fi
CP="$ROOT/testkit/target/classes:$(cat "$CP_FILE")"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

started() { echo "$1 $2" >> "$RUN/pids"; }
# Waits until the log has the line, or fails with why: the process exited (with its log's end) or the timeout.
wait_for_line() { # file pattern pid what
  local deadline=$((SECONDS + READY_TIMEOUT))
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { tail -20 "$1" >&2; fail "$4 exited before it was ready; its log: $1"; }
    (( SECONDS < deadline )) || { tail -20 "$1" >&2; fail "$4 not ready after ${READY_TIMEOUT}s; its log: $1"; }
    sleep 0.2
  done
}
wait_ready() { # admin-port pid what log
  local deadline=$((SECONDS + READY_TIMEOUT))
  until curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; do
    kill -0 "$2" 2>/dev/null || { tail -20 "$4" >&2; fail "$3 exited before it was ready; its log: $4"; }
    (( SECONDS < deadline )) || { tail -20 "$4" >&2; fail "$3 not ready after ${READY_TIMEOUT}s; its log: $4"; }
    sleep 0.2
  done
}

if [[ $REDIS_DELAY == 0 ]]; then
  echo "starting Redis Cluster on 127.0.0.1:$REDIS_PORT-$((REDIS_PORT + 5))"
else
  echo "starting Redis Cluster on 127.0.0.1:$REDIS_PORT-$((REDIS_PORT + 5)) in ${REDIS_DELAY}s (REDIS_DELAY)"
fi
# `exec` keeps the PID: during the delay it is this subshell's, then the launcher's.
( sleep "$REDIS_DELAY"; exec "$JAVA" -DwatchStdin=false -cp "$CP" io.danmaku.testkit.redis.RedisCluster cluster "$REDIS_PORT" ) \
  > "$RUN/logs/redis.log" 2>&1 < /dev/null &
redis_pid=$!
started redis "$redis_pid"

echo "starting Kafka on 127.0.0.1:$KAFKA_PORT"
mkdir -p "$RUN/kafka-data"
"$JAVA" -Xmx512m -XX:+UseSerialGC -Ddanmaku.kafka.watchStdin=false -cp "$CP" io.danmaku.testkit.kafka.EmbeddedKafkaMain \
  serve "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$RUN/kafka-data" > "$RUN/logs/kafka.log" 2>&1 < /dev/null &
kafka_pid=$!
started kafka "$kafka_pid"

role() { # name role admin-port extra --set flags...
  local name=$1 r=$2 admin=$3; shift 3
  DANMAKU_JAVA_OPTS="${DANMAKU_JAVA_OPTS:--Xmx512m -XX:+UseG1GC}" "$ROOT/danmaku" "$r" \
    --set node.id="$name" --set admin.port="$admin" "$@" > "$RUN/logs/$name.log" 2>&1 < /dev/null &
  local pid=$!
  started "$name" "$pid"
  echo "$name $pid $admin" >> "$RUN/roles"
}
echo "starting logic, storage and two gateways (they wait for Redis and Kafka)"
role logic-1 logic "$LOGIC_ADMIN_PORT" --set logic.grpc.port="$LOGIC_GRPC_PORT" --set logic.http.port="$LOGIC_HTTP_PORT"
role storage-1 storage "$STORAGE_ADMIN_PORT" --set storage.http.port="$STORAGE_HTTP_PORT" --set storage.archive.dir="$RUN/archive"
role gateway-1 gateway "$GATEWAY1_ADMIN_PORT" --set gateway.port="$GATEWAY1_PORT"
role gateway-2 gateway "$GATEWAY2_ADMIN_PORT" --set gateway.port="$GATEWAY2_PORT"

wait_for_line "$RUN/logs/redis.log" REDIS_READY "$redis_pid" "Redis Cluster"
wait_for_line "$RUN/logs/kafka.log" KAFKA_READY "$kafka_pid" "Kafka"
while read -r name pid admin; do
  wait_ready "$admin" "$pid" "$name" "$RUN/logs/$name.log"
done < "$RUN/roles"
ready=1

cat <<TXT
ready:
  gateways     ws://127.0.0.1:$GATEWAY1_PORT/connection/websocket  ws://127.0.0.1:$GATEWAY2_PORT/connection/websocket  (and /sub)
  server API   http://127.0.0.1:$LOGIC_HTTP_PORT/api/publish   (X-API-Key: $DANMAKU_API_KEY)
  history API  http://127.0.0.1:$STORAGE_HTTP_PORT/api/rooms/<room>/history
  admin        http://127.0.0.1:{$GATEWAY1_ADMIN_PORT,$LOGIC_ADMIN_PORT,$STORAGE_ADMIN_PORT,$GATEWAY2_ADMIN_PORT}/metrics
  user token   (set -a; . $RUN/env; ./danmaku token --user alice)
  logs         $RUN/logs      stop: deploy/local/down.sh
TXT
