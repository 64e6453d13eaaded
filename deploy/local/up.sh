#!/usr/bin/env bash
# The whole distributed stack on this machine, without containers, for trying the cluster locally:
#   Redis Cluster (3 masters + 3 replicas, Debian's redis-server) on 127.0.0.1:7000-7005
#   Kafka (one KRaft broker, Maven Central jars, a child JVM) on 127.0.0.1:9092
#   logic    gRPC 9090, server API http://127.0.0.1:8081, admin 9101
#   storage  history API http://127.0.0.1:8082, admin 9102, archive in $RUN/archive
#   gateway  ws://127.0.0.1:8080 (admin 9100) and ws://127.0.0.1:8180 (admin 9103)
# Returns once every process is ready; deploy/local/down.sh stops all of it. The same DANMAKU_* settings reach
# every process (token secret and API key are generated once and kept in $RUN/env unless already set).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${DANMAKU_LOCAL_RUN:-$ROOT/deploy/local/run}
REDIS_PORT=${REDIS_PORT:-7000}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
READY_TIMEOUT=${READY_TIMEOUT:-180}

if [[ -s "$RUN/pids" ]]; then
  echo "up.sh: a local stack seems to be running ($RUN/pids); run deploy/local/down.sh first" >&2
  exit 1
fi
mkdir -p "$RUN/logs"

command -v redis-server >/dev/null || {
  echo "up.sh: installing Debian's redis-server" >&2
  apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null
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
DANMAKU_GATEWAY_LOGIC_TARGET=127.0.0.1:9090
set +a

# Build (the launcher builds only when sources changed) and the classpath of the Redis and Kafka launchers.
"$ROOT/danmaku" --version >/dev/null
CP_FILE="$ROOT/testkit/target/launcher.cp"
if [[ ! -s "$CP_FILE" || "$ROOT/testkit/pom.xml" -nt "$CP_FILE" ]]; then
  (cd "$ROOT" && ./mvnw -q -B -pl testkit dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null)
fi
CP="$ROOT/testkit/target/classes:$(cat "$CP_FILE")"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

started() { echo "$1 $2" >> "$RUN/pids"; }
wait_for_line() { # file pattern pid what
  local deadline=$((SECONDS + READY_TIMEOUT))
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { echo "up.sh: $4 exited; see $1" >&2; tail -20 "$1" >&2; exit 1; }
    (( SECONDS < deadline )) || { echo "up.sh: $4 not ready after ${READY_TIMEOUT}s; see $1" >&2; exit 1; }
    sleep 0.2
  done
}
wait_ready() { # admin-port pid what log
  local deadline=$((SECONDS + READY_TIMEOUT))
  until curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; do
    kill -0 "$2" 2>/dev/null || { echo "up.sh: $3 exited; see $4" >&2; tail -20 "$4" >&2; exit 1; }
    (( SECONDS < deadline )) || { echo "up.sh: $3 not ready after ${READY_TIMEOUT}s; see $4" >&2; exit 1; }
    sleep 0.2
  done
}
trap 'echo "up.sh: failed; stopping what was started" >&2; "$ROOT/deploy/local/down.sh" >/dev/null 2>&1 || true' ERR

echo "starting Redis Cluster on 127.0.0.1:$REDIS_PORT-$((REDIS_PORT + 5))"
"$JAVA" -DwatchStdin=false -cp "$CP" io.danmaku.testkit.redis.RedisCluster cluster "$REDIS_PORT" \
  > "$RUN/logs/redis.log" 2>&1 < /dev/null &
started redis $!
wait_for_line "$RUN/logs/redis.log" REDIS_READY $! "Redis Cluster"

echo "starting Kafka on 127.0.0.1:$KAFKA_PORT"
mkdir -p "$RUN/kafka-data"
"$JAVA" -Xmx512m -XX:+UseSerialGC -Ddanmaku.kafka.watchStdin=false -cp "$CP" io.danmaku.testkit.kafka.EmbeddedKafkaMain \
  serve "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$RUN/kafka-data" > "$RUN/logs/kafka.log" 2>&1 < /dev/null &
started kafka $!
wait_for_line "$RUN/logs/kafka.log" KAFKA_READY $! "Kafka"

role() { # name role admin-port extra --set flags...
  local name=$1 r=$2 admin=$3; shift 3
  DANMAKU_JAVA_OPTS="${DANMAKU_JAVA_OPTS:--Xmx512m -XX:+UseG1GC}" "$ROOT/danmaku" "$r" \
    --set node.id="$name" --set admin.port="$admin" "$@" > "$RUN/logs/$name.log" 2>&1 < /dev/null &
  local pid=$!
  started "$name" "$pid"
  echo "$name $pid $admin" >> "$RUN/roles"
}
echo "starting logic, storage and two gateways"
role logic-1 logic 9101 --set logic.grpc.port=9090 --set logic.http.port=8081
role storage-1 storage 9102 --set storage.http.port=8082 --set storage.archive.dir="$RUN/archive"
role gateway-1 gateway 9100 --set gateway.port=8080
role gateway-2 gateway 9103 --set gateway.port=8180
while read -r name pid admin; do
  wait_ready "$admin" "$pid" "$name" "$RUN/logs/$name.log"
done < "$RUN/roles"
trap - ERR

cat <<TXT
ready:
  gateways     ws://127.0.0.1:8080/connection/websocket  ws://127.0.0.1:8180/connection/websocket  (and /sub)
  server API   http://127.0.0.1:8081/api/publish   (X-API-Key: $DANMAKU_API_KEY)
  history API  http://127.0.0.1:8082/api/rooms/<room>/history
  admin        http://127.0.0.1:{9100,9101,9102,9103}/metrics
  logs         $RUN/logs      stop: deploy/local/down.sh
TXT
