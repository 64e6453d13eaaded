#!/usr/bin/env bash
# Stops what deploy/local/up.sh started, by PID: the Danmaku roles first (they drain), then Kafka, then Redis.
# Keeps logs; removes the run state (Kafka data, archive) unless KEEP_DATA=1.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${DANMAKU_LOCAL_RUN:-$ROOT/deploy/local/run}
[[ -f "$RUN/pids" ]] || { echo "down.sh: nothing to stop ($RUN/pids missing)"; exit 0; }

stop() { # name pid
  kill -TERM "$2" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$2" 2>/dev/null || { echo "stopped $1"; return 0; }; sleep 0.2; done
  echo "down.sh: $1 ($2) did not stop in 30 s; killing" >&2
  kill -KILL "$2" 2>/dev/null || true
}
# roles first (reverse start order), then kafka, then redis
tac "$RUN/pids" | while read -r name pid; do
  case "$name" in redis|kafka) ;; *) stop "$name" "$pid" ;; esac
done
grep '^kafka ' "$RUN/pids" | while read -r name pid; do stop "$name" "$pid"; done
grep '^redis ' "$RUN/pids" | while read -r name pid; do stop "$name" "$pid"; done
rm -f "$RUN/pids" "$RUN/roles"
if [[ "${KEEP_DATA:-0}" != 1 ]]; then rm -rf "$RUN/kafka-data" "$RUN/archive"; fi
