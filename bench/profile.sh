#!/usr/bin/env bash
# profile.sh: one fan-out run against Danmaku standalone with Java Flight Recorder on, then the hottest frames
# (CPU samples, top frame and top frames of our code) and the allocation sites, read with `jfr`.
#   bench/profile.sh                       10,000 subscribers, 200 msgs/s, 30 s
#   N=1000 RATE=2000 DURATION=30s bench/profile.sh
# Environment: N, RATE, DURATION, PROTOCOL (centrifuge|bilibili), SERVER_CMD (as in compare.sh),
#   JFR_TOOL (a `jfr` with `jfr view`, JDK 21+; default the newest under /usr/lib/jvm, else `jfr`), OUT.
# Output: $OUT/fanout.jfr, $OUT/top-frames.txt, $OUT/our-frames.txt, $OUT/views.txt, $OUT/raw.jsonl.
set -euo pipefail
home="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-10000}" RATE="${RATE:-200}" DURATION="${DURATION:-30s}" PROTOCOL="${PROTOCOL:-centrifuge}"
SERVER_CMD="${SERVER_CMD:-$home/danmaku}"
OUT="${OUT:-$home/bench/results/profile-$(date +%Y%m%d-%H%M%S)}"
PORT=18080
mkdir -p "$OUT"
jfr_tool="${JFR_TOOL:-$( (ls -d /usr/lib/jvm/*25* /usr/lib/jvm/*21* 2>/dev/null || true) | head -n 1 | sed 's#$#/bin/jfr#')}"
[ -x "$jfr_tool" ] || jfr_tool=jfr

# shellcheck disable=SC2086
$SERVER_CMD standalone --set gateway.port=$PORT --set admin.port=19100 --set api.key=bench-key >"$OUT/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
# started by jcmd, not by a JVM option: that works for any SERVER_CMD (a prebuilt `java -cp …` copy included)
jcmd "$pid" JFR.start name=bench settings=profile >/dev/null \
  || { echo "profile.sh: could not start Java Flight Recorder in pid $pid (jcmd)" >&2; exit 1; }
if [ "$PROTOCOL" = bilibili ]; then url="ws://127.0.0.1:$PORT/sub"; else url="ws://127.0.0.1:$PORT/connection/websocket"; fi
"$home/bench/danmaku-bench" fanout --protocol "$PROTOCOL" --url "$url" --publish-url "http://127.0.0.1:$PORT/api/publish" \
  -n "$N" -r "$RATE" -d "$DURATION" --warmup 5s --server-pid "$pid" --label "danmaku-jfr" | tee "$OUT/raw.jsonl"
# dumped while the server runs: its shutdown does not leave time for JFR's dump-on-exit
jcmd "$pid" JFR.dump name=bench filename="$OUT/fanout.jfr" >/dev/null
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
trap - EXIT

# Top frames of the CPU samples: the first frame of each stack, and the first frame in our code.
"$jfr_tool" print --events jdk.ExecutionSample "$OUT/fanout.jfr" >"$OUT/samples.txt"
awk '/stackTrace = \[/ {getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print}' "$OUT/samples.txt" \
  | sort | uniq -c | sort -rn | head -40 >"$OUT/top-frames.txt"
awk '/stackTrace = \[/ {s = 1; next} s && /io\.danmaku/ {sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print; s = 0} /^\]/ {s = 0}' \
  "$OUT/samples.txt" | sort | uniq -c | sort -rn | head -30 >"$OUT/our-frames.txt"
{
  for v in hot-methods allocation-by-site gc; do
    echo "== jfr view $v"
    "$jfr_tool" view --width 200 "$v" "$OUT/fanout.jfr" 2>&1 | head -40 || true
  done
} >"$OUT/views.txt"
echo "== top frames (CPU samples)"; head -25 "$OUT/top-frames.txt"
echo "== first frame in io.danmaku code"; head -15 "$OUT/our-frames.txt"
cat "$OUT/views.txt"
echo "results in $OUT" >&2
