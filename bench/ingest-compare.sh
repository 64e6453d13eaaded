#!/usr/bin/env bash
# ingest-compare.sh: the write path next to the bare broker it writes to, on this machine, in one run
# (issue 9). A sibling of compare.sh, with the same conventions. Parts, one after another:
#   standalone  ./danmaku standalone (memory bus and store) on PORT_STANDALONE: a warm-up step, a rate sweep,
#               then the derived steps (below)
#   stack       deploy/local/up.sh (Redis Cluster 7000-7005, one Kafka broker 9092, logic, storage, gateways
#               8080 + 8180), then on that same broker and in this order:
#     kafka       Kafka's own org.apache.kafka.tools.ProducerPerformance (kafka-tools, bench/kafka-tools/pom.xml)
#                 into its own topic (KAFKA_TOPIC, 12 partitions): the project's producer settings (acks=all,
#                 idempotence, lz4, linger.ms=10, batch.size=262144) and records the size of a stamped post,
#                 measured from the posts the warm-up step wrote (key + value + headers, read back with
#                 org.apache.kafka.tools.DumpLogSegments); the payloads are those stamped posts (--payload-file), so lz4 sees
#                 the same bytes; a second run with random payloads of the same size for reference
#     dist        `bench/danmaku-bench ingest --verify` through both gateways, the same sweep and derived steps
# A sweep step passes when every post sent was accepted, ≥ 95 % of the offered rate was sent, nothing was left
# unanswered or skipped, every accepted post was delivered (--verify) and, distributed, storage wrote as many
# records as were accepted (danmaku.storage.records on storage's /metrics). The peak is the highest accepted/s of a
# passing step; the sweep stops at the first failing step. With PROFILE=1 one more step at the peak runs with Java
# Flight Recorder started by jcmd in every JVM (dumped right after; where the CPU samples are is written after the
# run). Then the derived steps: 80 % of the peak (ack latency), 2× and 5× the peak (goodput: accepted/s, none of the
# accepted lost).
# CPU per accepted post: utime+stime from /proc/<pid>/stat of every process (gateways, logic, storage, the broker,
# the six redis-server processes summed, the standalone server) read before and after each step's tool run
# (the window holds the tool's connect and its 2 s delivery check as well); the load tool's own CPU is its
# client_cpu_cores over its posting window. Everything is started here and stopped by PID; loopback only; every
# step and wait is bounded.
#
# Settings (environment):
#   PARTS          default "standalone stack"
#   RATES_DIST     default "5000 10000 15000 20000 30000 40000 60000 80000"   offered posts/s of the sweep
#   RATES_STANDALONE default "20000 40000 60000 80000 100000 120000 150000 200000"
#   WARMUP_RATE    default 5000       posts/s of the warm-up step (JIT; not counted) before each sweep
#   DURATION       default 10s        length of each step
#   OVERLOAD       default "2 5"      multiples of the peak for the goodput steps
#   PEAK_BY        default strict     which sweep steps count for the peak: strict (every post accepted, see above)
#                                     or lossless (rejections allowed; no accepted post lost, nothing unanswered,
#                                     the offered rate sent)
#   PEAK_STANDALONE, PEAK_DIST        a peak (accepted/s) from an earlier sweep: no sweep, only the profile and
#                                     derived steps (after a warm-up step)
#   STOP_ON_FAIL   default 1          stop a sweep at its first step that does not count (0 = run every rate)
#   CLIENTS        default 400        posting connections (-m), each its own user
#   ROOMS          default 50         rooms (one --verify subscriber each)
#   MAX_IN_FLIGHT  default 1024       unanswered posts per client (--max-in-flight)
#   CLIENT_THREADS default 2          event loops of the load tool
#   KAFKA_RECORDS  default 3000000    records of each ProducerPerformance run (unthrottled)
#   KAFKA_TOPIC    default bench.producer-perf
#   PROFILE        default 1          a JFR step at the peak of each part (0 = none)
#   PROFILE_DURATION default 20s      its length
#   PORT_STANDALONE default 18080, ADMIN_STANDALONE default 19100
#   RATE_LIMITS    the load-test rate limits (a user may post 1/s by default), given to both modes:
#                  user 100000/s burst 10000, room 1000000/s burst 1000000 (docs/BENCHMARKS.md)
#   QUIET_LOAD     default 1.5        before each part, wait until the 1-minute load average is below this
#   QUIET_WAIT     default 180        ... but at most this many seconds per part (the load is recorded with each result)
#   UP_ATTEMPTS    default 3          tries of deploy/local/up.sh (down.sh between); when a role could not reach
#                                     Redis at start, the next tries use DANMAKU_STORE_REDIS_COMMAND_TIMEOUT=
#                                     RETRY_REDIS_TIMEOUT (default 2s; noted in env.txt)
#   PORT_WAIT      default 600        at most this long for the stack's fixed ports to be free, else the part is skipped
#   DANMAKU_JAVA_OPTS                 JVM options of our server(s) (the launcher's / up.sh's defaults otherwise)
#   OUT            default bench/results/ingest-<date-time>
# Output: $OUT/raw.jsonl (one JSON line per step and per ProducerPerformance run, with the load average and the CPU
# of every process), $OUT/table.md, $OUT/env.txt, $OUT/metrics-*.txt (admin /metrics after the peak), $OUT/jfr/
# (recordings and top frames), $OUT/*.log.
set -euo pipefail
home="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PARTS="${PARTS:-standalone stack}"
RATES_DIST="${RATES_DIST:-5000 10000 15000 20000 30000 40000 60000 80000}"
RATES_STANDALONE="${RATES_STANDALONE:-20000 40000 60000 80000 100000 120000 150000 200000}"
WARMUP_RATE="${WARMUP_RATE:-5000}"
DURATION="${DURATION:-10s}"
OVERLOAD="${OVERLOAD:-2 5}"
CLIENTS="${CLIENTS:-400}" ROOMS="${ROOMS:-50}" MAX_IN_FLIGHT="${MAX_IN_FLIGHT:-1024}" CLIENT_THREADS="${CLIENT_THREADS:-2}"
KAFKA_RECORDS="${KAFKA_RECORDS:-3000000}" KAFKA_TOPIC="${KAFKA_TOPIC:-bench.producer-perf}"
PROFILE="${PROFILE:-1}" PROFILE_DURATION="${PROFILE_DURATION:-20s}"
PORT_STANDALONE="${PORT_STANDALONE:-18080}" ADMIN_STANDALONE="${ADMIN_STANDALONE:-19100}"
PORT_WAIT="${PORT_WAIT:-600}"
case "${PEAK_BY:-strict}" in
  strict) PEAK_RULE='.pass' ;;
  # no accepted post lost and the offered rate sent, rejections allowed
  lossless) PEAK_RULE='(.lost == 0 and .unanswered == 0 and .skipped_in_flight_cap == 0 and .sent >= 0.95 * .target_per_sec * .duration_s)' ;;
  *) echo "PEAK_BY: strict | lossless" >&2; exit 2 ;;
esac
OUT="${OUT:-$home/bench/results/ingest-$(date +%Y%m%d-%H%M%S)}"
bench="$home/bench/danmaku-bench"
run="${DANMAKU_LOCAL_RUN:-$home/deploy/local/run}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
tck="$(getconf CLK_TCK)"
export DANMAKU_LOGIC_RATE_USER_PER_SECOND=100000 DANMAKU_LOGIC_RATE_USER_BURST=10000 \
  DANMAKU_LOGIC_RATE_ROOM_PER_SECOND=1000000 DANMAKU_LOGIC_RATE_ROOM_BURST=1000000
mkdir -p "$OUT/jfr"
raw="$OUT/raw.jsonl"
seconds="${DURATION%s}"

log() { echo "[ingest-compare] $(date +%T) $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }

wait_quiet() {
  local limit="${QUIET_LOAD:-1.5}" waited=0
  while awk -v l="$(load1)" -v m="$limit" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "${QUIET_WAIT:-180}" ]; then
      log "load average still $(load1) after ${waited}s: going on (noted with each result)"
      return
    fi
    sleep 10
    waited=$((waited + 10))
  done
  log "load average $(load1) after ${waited}s of waiting"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}
stack_ports_free() { # bounded wait until none of up.sh's fixed ports is taken
  local p waited=0 busy
  while :; do
    busy=""
    for p in 8080 8180 9090 8081 8082 9100 9101 9102 9103 7000 7001 7002 7003 7004 7005 9092 9093; do
      port_open "$p" && busy="$busy $p"
    done
    [ -z "$busy" ] && return 0
    if [ "$waited" -ge "$PORT_WAIT" ]; then
      log "ports$busy still taken after ${waited}s: $(ss -ltnpH 2>/dev/null | grep -E ":($(echo $busy | tr ' ' '|')) " | tr -s ' ' | cut -d' ' -f4,6 | paste -sd' ')"
      return 1
    fi
    [ "$waited" = 0 ] && log "waiting for ports$busy (held by another process)"
    sleep 10
    waited=$((waited + 10))
  done
}

# CPU of named process groups: PROCS maps a name to space-separated PIDs.
declare -A PROCS=()
ticks() { # pids... → utime+stime ticks summed (a gone process counts 0)
  local t=0 p v
  for p in "$@"; do
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
snapshot() { # → JSON object name → ticks
  local n out="{"
  for n in "${!PROCS[@]}"; do
    # shellcheck disable=SC2086
    out="$out\"$n\":$(ticks ${PROCS[$n]}),"
  done
  echo "${out%,}}"
}

stored_records() { # storage's danmaku.storage.records (distributed), else 0
  if [ "$MODE" = dist ]; then
    curl -sf --max-time 5 "http://127.0.0.1:9102/metrics" | awk '/^danmaku_storage_records_total/ { s += $2 } END { printf "%d", s }'
  else echo 0; fi
}
settle_stored() { # wait (≤ 20 s) until storage's counter stops moving
  local a b i
  a=$(stored_records)
  for ((i = 0; i < 20; i++)); do
    sleep 1
    b=$(stored_records)
    [ "$b" = "$a" ] && break
    a=$b
  done
  echo "$a"
}

# step KIND RATE [extra tool options...]: one tool run; appends one JSON line to raw.jsonl and sets LAST (the line)
step() {
  local kind="$1" rate="$2"; shift 2
  local before after s0 s1 line l0 l1
  rate=$(awk -v r="$rate" 'BEGIN { printf "%d", r }')
  l0=$(load1)
  s0=$(settle_stored)
  before=$(snapshot)
  log "$MODE $kind: $rate posts/s for $DURATION, load $l0"
  line=$("$bench" ingest "${TARGET[@]}" -m "$CLIENTS" -r "$rate" -d "$DURATION" --rooms "$ROOMS" --verify \
    --max-in-flight "$MAX_IN_FLIGHT" --client-threads "$CLIENT_THREADS" --server-pid "$SERVER_PIDS" \
    --label "$MODE" "$@" 2>>"$OUT/tool.log" | tail -n 1) || line=""
  after=$(snapshot)
  s1=$(settle_stored)
  l1=$(load1)
  if [ -z "$line" ] || ! jq -e . >/dev/null 2>&1 <<<"$line"; then
    log "$MODE $kind: the tool gave no result (see $OUT/tool.log)"
    line='{"cmd":"ingest","accepted":0,"sent":0}'
  fi
  LAST=$(jq -c --arg part "$MODE" --arg kind "$kind" --argjson target "$rate" --argjson b "$before" --argjson a "$after" \
    --argjson stored "$((s1 - s0))" --argjson dist "$([ "$MODE" = dist ] && echo true || echo false)" \
    --argjson tck "$tck" --argjson l0 "$l0" --argjson l1 "$l1" '
    . + {part: $part, step: $kind, target_per_sec: $target, load_before: $l0, load_after: $l1,
         stored: (if $dist then $stored else null end),
         cpu_s: ($a | with_entries(.value = ((.value - $b[.key]) / $tck))),
         tool_cpu_s: ((.client_cpu_cores // 0) * (.window_s // 0))}
    | .cpu_us_per_post = (if .accepted > 0 then
        (.cpu_s + {tool: .tool_cpu_s}) | with_entries(.value = (.value * 1e6 / $acc | round)) else null end)
    | .cpu_us_per_post_total = (if .accepted > 0 then ((.cpu_s | add) + .tool_cpu_s) * 1e6 / .accepted | round else null end)
    | .pass = ((.sent // 0) >= 0.95 * $target * (.duration_s // 0) and .sent > 0 and .accepted == .sent
        and (.unanswered // 1) == 0 and (.skipped_in_flight_cap // 1) == 0 and ((.rejected // {}) | length) == 0
        and (.accepted_not_delivered // 1) == 0 and ((.stored == null) or (.stored == .accepted)))
    | .lost = (if .stored == null then (.accepted_not_delivered // null)
        else ((.accepted_not_delivered // 0) + ([.accepted - .stored, 0] | max)) end)
    ' --argjson acc "$(jq '.accepted // 0' <<<"$line")" <<<"$line")
  echo "$LAST" >>"$raw"
  jq -c '{part, step, target_per_sec, sent_per_sec, accepted_per_sec, rejected, unanswered, ack_p50_ms, ack_p99_ms,
    accepted_not_delivered, stored, pass, client_cpu_cores, server_cpu_cores, cpu_us_per_post_total}' <<<"$LAST" >&2
}

# sweep RATES...: warm-up, then steps until the first failure; sets PEAK (accepted/s of the best passing step)
sweep() {
  PEAK=0
  step warmup "$WARMUP_RATE" >/dev/null
  local r
  for r in "$@"; do
    step sweep "$r"
    if [ "$(jq -r "$PEAK_RULE" <<<"$LAST")" = true ]; then
      PEAK=$(jq -r '[.accepted_per_sec, '"$PEAK"'] | max' <<<"$LAST")
    elif [ "${STOP_ON_FAIL:-1}" = 1 ]; then
      break
    fi
  done
  log "$MODE: peak $PEAK accepted posts/s with zero loss"
}

derived() {
  [ "$PEAK" -gt 0 ] || { log "$MODE: no passing step, no derived steps"; return; }
  step at-80pct "$(awk -v p="$PEAK" 'BEGIN { print p * 0.8 }')"
  local m
  for m in $OVERLOAD; do
    step "overload-${m}x" "$(awk -v p="$PEAK" -v m="$m" 'BEGIN { print p * m }')"
  done
}

scrape_metrics() { # name port...
  local name="$1" port; shift
  for port in "$@"; do
    curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" >"$OUT/metrics-$name-$port.txt" || true
    grep -E '^danmaku_(logic_batch_size|gateway_post_batch_size|rpc_client_batch_size|storage_batch_size|bus_kafka_publish)' \
      "$OUT/metrics-$name-$port.txt" | grep -v '_bucket' >"$OUT/batches-$name-$port.txt" || true
  done
}

# profile_step: one step at the peak with JFR started in every JVM of JVMS (name=pid) and dumped right after
profile_step() {
  [ "$PROFILE" = 1 ] && [ "$PEAK" -gt 0 ] || return 0
  local e name pid
  for e in $JVMS; do
    jcmd "${e#*=}" JFR.start name=ingest settings=profile >/dev/null 2>&1 || log "JFR.start failed for $e"
  done
  local keep="$DURATION"
  DURATION="$PROFILE_DURATION"
  step profile "$PEAK"
  DURATION="$keep"
  for e in $JVMS; do
    name="${e%%=*}" pid="${e#*=}"
    jcmd "$pid" JFR.dump name=ingest filename="$OUT/jfr/$MODE-$name.jfr" >/dev/null 2>&1 || log "JFR.dump failed for $e"
    jcmd "$pid" JFR.stop name=ingest >/dev/null 2>&1 || true
  done
  scrape_metrics "$MODE" $ADMINS
}

top_frames() { # after the run (not on the measured path): where each recording's CPU samples are, with percentages
  local f
  for f in "$OUT"/jfr/*.jfr; do
    [ -f "$f" ] || continue
    jfr print --stack-depth 64 --events jdk.ExecutionSample "$f" >"${f%.jfr}.samples.txt" 2>/dev/null || continue
    python3 - "${f%.jfr}.samples.txt" "$(basename "$f")" >"${f%.jfr}.top.txt" <<'PY'
import collections, re, sys
leaf, ours, threads, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
thread, frames = None, None
def done():
    global total
    if frames is None:
        return
    total += 1
    threads[re.sub(r"[0-9]+", "N", thread or "?")] += 1
    leaf[frames[0] if frames else "?"] += 1
    ours[next((f for f in frames if f.startswith("io.danmaku")), "(no io.danmaku frame: " + (frames[0].split("(")[0] if frames else "?") + ")")] += 1
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    t = line.strip()
    if t.startswith("jdk.ExecutionSample"):
        done(); thread, frames = None, None
    elif t.startswith("sampledThread = "):
        thread = t.split('"')[1] if '"' in t else t
    elif t.startswith("stackTrace = ["):
        frames = []
    elif frames is not None and t and t not in ("]", "...") and not t.startswith("}") and "line:" in t:
        frames.append(re.sub(r"\s+line:.*", "", t))
done()
print(f"== {sys.argv[2]}: {total} CPU samples")
for title, c in (("by thread", threads), ("top frame", leaf), ("first io.danmaku frame (the work it does, libraries included)", ours)):
    print(f"-- {title}")
    for k, v in c.most_common(15):
        print(f"{100 * v / max(1, total):5.1f}% {v:6d} {k}")
PY
    rm -f "${f%.jfr}.samples.txt"
  done
}

# --- standalone --------------------------------------------------------------------------------------------------
SA_PID=""
stop_standalone() {
  [ -n "$SA_PID" ] || return 0
  kill -TERM "$SA_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$SA_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SA_PID" 2>/dev/null || true
  wait "$SA_PID" 2>/dev/null || true
  log "standalone stopped"
  SA_PID=""
}

part_standalone() {
  MODE=standalone
  local secret
  secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  port_open "$PORT_STANDALONE" && { log "port $PORT_STANDALONE is taken: standalone skipped"; return; }
  "$home/danmaku" standalone --set gateway.port="$PORT_STANDALONE" --set admin.port="$ADMIN_STANDALONE" \
    --set api.key=bench-key --set token.hmac.secret="$secret" \
    --set logic.rate.user.per-second=100000 --set logic.rate.user.burst=10000 \
    --set logic.rate.room.per-second=1000000 --set logic.rate.room.burst=1000000 >"$OUT/standalone.log" 2>&1 &
  SA_PID=$!
  trap 'stop_standalone' EXIT
  if ! wait_port "$PORT_STANDALONE" 300 || ! kill -0 "$SA_PID" 2>/dev/null; then
    log "standalone did not start"; tail -20 "$OUT/standalone.log" >&2; stop_standalone; trap - EXIT; return
  fi
  PROCS=([server]="$SA_PID")
  SERVER_PIDS="$SA_PID" JVMS="server=$SA_PID" ADMINS="$ADMIN_STANDALONE"
  TARGET=(--url "ws://127.0.0.1:$PORT_STANDALONE/connection/websocket" --token-secret "$secret")
  if [ -n "${PEAK_STANDALONE:-}" ]; then
    step warmup "$WARMUP_RATE" >/dev/null
    PEAK=$PEAK_STANDALONE
  else
    # shellcheck disable=SC2086
    sweep $RATES_STANDALONE
  fi
  scrape_metrics standalone-peak "$ADMIN_STANDALONE"
  profile_step
  derived
  stop_standalone
  trap - EXIT
}

# --- the distributed stack: the bare broker, then Danmaku through it -----------------------------------------------
STACK_UP=0
stop_stack() {
  [ "$STACK_UP" = 1 ] || return 0
  "$home/deploy/local/down.sh" >>"$OUT/stack.log" 2>&1 || true
  STACK_UP=0
  log "stack stopped (deploy/local/down.sh)"
}

kafka_cp() {
  local lib="$home/bench/kafka-tools/target/lib"
  if [ ! -f "$lib/.done" ]; then
    log "fetching kafka-tools (Maven Central, bench/kafka-tools/pom.xml)"
    (cd "$home" && ./mvnw -q -B -f bench/kafka-tools/pom.xml dependency:copy-dependencies -DoutputDirectory=target/lib) >&2
    touch "$lib/.done"
  fi
  echo "$lib/*"
}

# the stamped posts of the warm-up step, read back from danmaku's topic: sizes and a payload file
measure_records() {
  local cp seg
  cp=$(kafka_cp)
  : >"$OUT/posts-dump.txt"
  for seg in $(find "$run/kafka-data" -path '*danmaku.room-messages-*' -name '*.log' -size +0 2>/dev/null); do
    [ -s "$seg" ] || continue
    "$java" -cp "$cp" org.apache.kafka.tools.DumpLogSegments --files "$seg" --deep-iteration --print-data-log 2>/dev/null \
      | grep 'payload:' | head -n 200 >>"$OUT/posts-dump.txt" || true
    [ "$(wc -l <"$OUT/posts-dump.txt")" -ge 500 ] && break
  done
  # each line: ... keySize: K valueSize: V ... headerKeys: [id,schema] key: ROOM payload: JSON
  python3 - "$OUT/posts-dump.txt" "$OUT/payloads.txt" "$OUT/record-size.json" <<'PY' || { log "no stamped posts read back from danmaku's topic: records of RECORD_SIZE=${RECORD_SIZE:=300} bytes"; return 1; }
import json, re, sys
src, dst, meta = sys.argv[1:4]
rows = []
for line in open(src, encoding="utf-8", errors="replace"):
    k = int(re.search(r"keySize: (\d+)", line).group(1)); v = int(re.search(r"valueSize: (\d+)", line).group(1))
    hk = re.search(r"headerKeys: \[([^\]]*)\]", line)
    key = re.search(r" key: (.*?) payload: ", line)
    payload = line.split(" payload: ", 1)[1].rstrip("\n")
    rows.append((k, v, hk.group(1) if hk else "", key.group(1) if key else "", payload))
if not rows:
    sys.exit("no stamped posts found in danmaku's topic")
# headers: keys, the id header's value (the post's id, as in the value) and the schema header's one byte
ids = [re.search(r'"id":"([^"]*)"', r[4]) for r in rows]
id_len = round(sum(len(m.group(1)) for m in ids if m) / max(1, sum(1 for m in ids if m)))
hdr = sum(len(h) for h in rows[0][2].split(",") if h) + id_len + 1
size = round(sum(k + v for k, v, *_ in rows) / len(rows)) + hdr
with open(dst, "w", encoding="utf-8") as out:
    for k, v, h, key, payload in rows:
        line = (key + payload)
        line = (line + " " * size)[:size] if len(line.encode()) < size else line
        out.write(line + "\n")
json.dump({"records_read": len(rows), "key_bytes": round(sum(r[0] for r in rows) / len(rows), 1),
           "value_bytes": round(sum(r[1] for r in rows) / len(rows), 1), "header_bytes_approx": hdr,
           "record_size": size, "example_value": rows[0][4]}, open(meta, "w"))
PY
  RECORD_SIZE=$(jq .record_size "$OUT/record-size.json")
  log "stamped post: $(jq -c 'del(.example_value)' "$OUT/record-size.json")"
}

producer_perf() { # label extra-args...
  local label="$1"; shift
  local cp b0 p0 before line pid l0
  cp=$(kafka_cp)
  l0=$(load1)
  log "kafka $label: ProducerPerformance, $KAFKA_RECORDS records, load $l0"
  before=$(snapshot)
  "$java" -Xmx1g -cp "$cp" org.apache.kafka.tools.ProducerPerformance --topic "$KAFKA_TOPIC" \
    --num-records "$KAFKA_RECORDS" --throughput -1 "$@" \
    --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true compression.type=lz4 \
    linger.ms=10 batch.size=262144 >"$OUT/kafka-$label.log" 2>&1 &
  pid=$!
  p0=0 b0=0
  local last=0
  while kill -0 "$pid" 2>/dev/null; do # the producer's CPU: last reading before it exits
    last=$(ticks "$pid")
    sleep 0.2
  done
  wait "$pid" || log "ProducerPerformance exited with $?"
  local after
  after=$(snapshot)
  line=$(grep 'records sent' "$OUT/kafka-$label.log" | tail -n 1)
  jq -nc --arg lbl "$label" --arg line "$line" --argjson b "$before" --argjson a "$after" --argjson tck "$tck" \
    --argjson prod "$last" --argjson l0 "$l0" --argjson l1 "$(load1)" --argjson size "$RECORD_SIZE" '
    ($line | capture("(?<n>[0-9]+) records sent, (?<rps>[0-9.]+) records/sec \\((?<mbs>[0-9.]+) MB/sec\\), (?<avg>[0-9.]+) ms avg latency, (?<max>[0-9.]+) ms max latency, (?<p50>[0-9]+) ms 50th, (?<p95>[0-9]+) ms 95th, (?<p99>[0-9]+) ms 99th")) as $m
    | {cmd: "producer-perf", part: "kafka", step: $lbl, record_size: $size, records: ($m.n | tonumber),
       records_per_sec: ($m.rps | tonumber | round), mb_per_sec: ($m.mbs | tonumber), latency_avg_ms: ($m.avg | tonumber),
       latency_p50_ms: ($m.p50 | tonumber), latency_p95_ms: ($m.p95 | tonumber), latency_p99_ms: ($m.p99 | tonumber),
       latency_max_ms: ($m.max | tonumber), load_before: $l0, load_after: $l1,
       cpu_s: ($a | with_entries(.value = ((.value - $b[.key]) / $tck)) | . + {producer: ($prod / $tck)})}
    | .wall_s = (.records / .records_per_sec)
    | .cpu_cores = (.cpu_s | with_entries(.value = (.value / $wall | . * 100 | round / 100)))
    | .cpu_us_per_record = (.cpu_s | with_entries(.value = (.value * 1e6 / $n | round)))
    ' --argjson wall "$(awk -v l="$line" 'BEGIN { split(l, a, " "); n = a[1]; r = a[4]; print (r > 0 ? n / r : 1) }')" \
    --argjson n "$(awk -v l="$line" 'BEGIN { split(l, a, " "); print a[1] + 0 }')" | tee -a "$raw" >&2 \
    || log "kafka $label: no result line (see $OUT/kafka-$label.log)"
}

part_stack() {
  stack_ports_free || { log "the stack's ports are taken: stack skipped"; return; }
  # up to UP_ATTEMPTS tries: on a loaded machine a role may give up at start (see docs/BENCHMARKS.md)
  local attempt
  for ((attempt = 1; ; attempt++)); do
    STACK_UP=1
    if "$home/deploy/local/up.sh" >>"$OUT/stack.log" 2>&1; then break; fi
    log "deploy/local/up.sh failed (attempt $attempt): $(grep -h 'cannot start' "$run"/logs/*.log 2>/dev/null | head -n 2 | paste -sd' ')"
    cp -r "$run/logs" "$OUT/stack-logs-failed-$attempt" 2>/dev/null || true
    stop_stack
    [ "$attempt" -lt "${UP_ATTEMPTS:-3}" ] || return 0
    if [ -z "${DANMAKU_STORE_REDIS_COMMAND_TIMEOUT:-}" ] && grep -q 'cannot connect to Redis' "$run"/logs/*.log 2>/dev/null; then
      # Lettuce bounds the connection handshake by the command timeout (500 ms): a cold JVM on busy cores misses it
      export DANMAKU_STORE_REDIS_COMMAND_TIMEOUT="${RETRY_REDIS_TIMEOUT:-2s}"
      log "retrying with DANMAKU_STORE_REDIS_COMMAND_TIMEOUT=$DANMAKU_STORE_REDIS_COMMAND_TIMEOUT"
      echo "stack: started with DANMAKU_STORE_REDIS_COMMAND_TIMEOUT=$DANMAKU_STORE_REDIS_COMMAND_TIMEOUT (attempt $((attempt + 1)))" >>"$OUT/env.txt"
    fi
    sleep 5
  done
  trap 'stop_stack' EXIT
  local redis_launcher
  redis_launcher=$(awk '$1 == "redis" { print $2 }' "$run/pids")
  PROCS=()
  while read -r name pid; do
    case "$name" in
      redis) PROCS[redis]="$(pgrep -P "$pid" -d ' ' redis-server || true)" ;;
      *) PROCS[$name]="$pid" ;;
    esac
  done <"$run/pids"
  log "stack pids: $(for n in "${!PROCS[@]}"; do printf '%s=%s ' "$n" "${PROCS[$n]}"; done) (redis launcher $redis_launcher)"
  SERVER_PIDS=$(awk '$1 != "redis" { print $2 }' "$run/pids" | paste -sd, -)
  JVMS=$(awk '$1 != "redis" { print $1 "=" $2 }' "$run/pids" | paste -sd' ' -)
  ADMINS="9100 9103 9101 9102"
  TARGET=(--url "ws://127.0.0.1:8080/connection/websocket,ws://127.0.0.1:8180/connection/websocket"
    --token-secret "$(sed -n 's/^DANMAKU_TOKEN_HMAC_SECRET=//p' "$run/env")")

  # (b) first a warm-up step: it also writes the stamped posts whose size the broker run uses
  MODE=dist
  step warmup "$WARMUP_RATE" >/dev/null
  local posts_file=1
  measure_records || posts_file=0

  # (a) the bare broker, same broker, its own topic, the rest of the stack idle
  MODE=kafka
  "$java" -cp "$(kafka_cp)" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --create \
    --if-not-exists --topic "$KAFKA_TOPIC" --partitions 12 --replication-factor 1 >"$OUT/kafka-topic.log" 2>&1 \
    || { log "creating $KAFKA_TOPIC failed"; cat "$OUT/kafka-topic.log" >&2; }
  [ "$posts_file" = 0 ] || producer_perf posts --payload-file "$OUT/payloads.txt"
  producer_perf random --record-size "$RECORD_SIZE"

  # (b) Danmaku distributed
  MODE=dist
  wait_quiet
  if [ -n "${PEAK_DIST:-}" ]; then
    PEAK=$PEAK_DIST
  else
    # shellcheck disable=SC2086
    sweep $RATES_DIST
  fi
  scrape_metrics dist-peak $ADMINS
  profile_step
  derived
  # records per Kafka batch as written by logic (the broker's own view)
  local seg cp
  cp=$(kafka_cp)
  for seg in $(find "$run/kafka-data" \( -path '*danmaku.room-messages-0/*' -o -path "*$KAFKA_TOPIC-0/*" \) -name '*.log' -size +0 2>/dev/null); do
    [ -s "$seg" ] || continue
    "$java" -cp "$cp" org.apache.kafka.tools.DumpLogSegments --files "$seg" 2>/dev/null \
      | awk -v f="$(basename "$(dirname "$seg")")" '/count:/ { for (i = 1; i <= NF; i++) if ($i == "count:") { n++; s += $(i + 1) }
          for (i = 1; i <= NF; i++) if ($i == "size:") b += $(i + 1) }
        END { printf "%s: %d batches, %.1f records per batch, %.0f bytes per batch (compressed)\n", f, n, (n ? s / n : 0), (n ? b / n : 0) }' \
      >>"$OUT/kafka-batches.txt" || true
  done
  cat "$OUT/kafka-batches.txt" >&2 || true
  stop_stack
  trap - EXIT
}

{
  echo "date: $(date -Is)"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo "java: $("$java" -version 2>&1 | head -n 1)"
  echo "build: $(git -C "$home" rev-parse --short HEAD)$(git -C "$home" diff --quiet HEAD -- . ':!bench' ':!docs' || echo ' (+ local changes outside bench/docs)')"
  echo "kafka-tools: $(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$home/bench/kafka-tools/pom.xml")"
  echo "parts: $PARTS; rates dist: $RATES_DIST; rates standalone: $RATES_STANDALONE; duration: $DURATION; overload: $OVERLOAD"
  echo "tool: -m $CLIENTS --rooms $ROOMS --max-in-flight $MAX_IN_FLIGHT --client-threads $CLIENT_THREADS; warm-up $WARMUP_RATE/s"
  echo "DANMAKU_JAVA_OPTS: ${DANMAKU_JAVA_OPTS-<default>}"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

for part in $PARTS; do
  wait_quiet
  case "$part" in
    standalone) part_standalone ;;
    stack) part_stack ;;
    *) log "unknown part $part" ;;
  esac
done
top_frames

# the table: one row per step
{
  echo "| part | step | target/s | sent/s | accepted/s | rejected | ack p50 / p99 ms | lost (not delivered / not stored) | CPU µs per accepted post (per process; total) | tool cores | load | pass |"
  echo "|---|---|---:|---:|---:|---|---|---|---|---:|---|---|"
  jq -r 'select(.cmd == "ingest") | "| \(.part) | \(.step) | \(.target_per_sec) | \(.sent_per_sec) | \(.accepted_per_sec) | \(.rejected // {} | to_entries | map("\(.key) \(.value)") | join(", ")) | \(.ack_p50_ms) / \(.ack_p99_ms) | \(.accepted_not_delivered) / \(if .stored == null then "n/a" else ([.accepted - .stored, 0] | max) end) | \(.cpu_us_per_post // {} | to_entries | map("\(.key) \(.value)") | join(", ")); **\(.cpu_us_per_post_total)** | \(.client_cpu_cores) | \(.load_before)→\(.load_after) | \(.pass) |"' "$raw"
  echo
  echo "| ProducerPerformance | record bytes | records/s | MB/s | p50 / p99 ms | CPU cores (producer, broker) | CPU µs per record (producer, broker) | load |"
  echo "|---|---:|---:|---:|---|---|---|---|"
  jq -r 'select(.cmd == "producer-perf") | "| \(.step) | \(.record_size) | \(.records_per_sec) | \(.mb_per_sec) | \(.latency_p50_ms) / \(.latency_p99_ms) | \(.cpu_cores.producer), \(.cpu_cores.kafka) | \(.cpu_us_per_record.producer), \(.cpu_us_per_record.kafka) | \(.load_before)→\(.load_after) |"' "$raw"
} >"$OUT/table.md"
cat "$OUT/table.md"
log "results in $OUT"
