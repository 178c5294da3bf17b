#!/usr/bin/env bash
# fleet-bench.sh — issue 14's benchmark: `sluice mta` nodes sharing their limits through one redis-server, all on
# this box, smtp-source -> node(s) -> one smtp-sink on loopback. Rows:
#   local      1 node, no Redis: the limits are node-local (the baseline)
#   redis-1    1 node, kumo.configure_redis_throttles: every delivery checks max_message_rate in Redis and every
#              connection holds a connection_limit lease there
#   redis-3    3 nodes, the same policy and Redis, smtp-source split across them
# Per row: messages per second (from the start of smtp-source until the sink has counted all), and for the Redis rows
# the Redis commands per delivery and the server's µs per command (INFO commandstats), and the added wall time per
# delivery against the local row ((1/rate - 1/rate_local) in µs: the cost of the round trips as the node sees it).
# The limits are set high (max_message_rate = '1000000/s', connection_limit = SESSIONS) so they cost checks, never
# waits. Markdown on stdout; progress on stderr.
#
# Environment (all optional):
#   MESSAGES=6000   per row   SIZE=2048 bytes   SESSIONS=16 (smtp-source sessions per node, and connection_limit)
#   MAX_SECONDS=300 bound of each row   WORK_PARENT=/tmp   SKIP_BUILD=1   KEEP_WORK=1
#   ROWS="local redis-1 redis-3"   (the table needs the local row for the added-cost column; ROWS=none: no rows)
#   ISSUE_RUNS=1   then also run issue 14's process tests at the issue's size (the suite runs them small):
#     RATE_SECONDS=20   MtaFleetProcessTest's shared max_message_rate = '100/s' test over 100 x RATE_SECONDS + 100
#                       messages (the suite: 5 s); it prints the rate it measured at the sink
#     LIMIT_MESSAGES=3000   its shared connection_limit = 5 test (the suite: 45; the sink takes about a message a
#                       second, so 3,000 take about an hour: LIMIT_MESSAGES=0 skips it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/procs.sh
. "$ROOT/bench/lib/procs.sh"   # descendants, free_port, wait_listening, wait_for_line, stop_pid
MESSAGES=${MESSAGES:-6000}
SIZE=${SIZE:-2048}
SESSIONS=${SESSIONS:-16}
MAX_SECONDS=${MAX_SECONDS:-300}
WORK_PARENT=${WORK_PARENT:-/tmp}
WORK=$(mktemp -d "$WORK_PARENT/fleet-bench.XXXXXX")
STARTED=()
STOP_SECONDS=10

log() { printf '[fleet-bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() {
  local pid
  for pid in ${STARTED[@]+"${STARTED[@]}"}; do stop_pid "$pid"; done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in smtp-source smtp-sink redis-server redis-cli; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [[ -z "${SKIP_BUILD:-}" ]]; then
  . "$ROOT/bin/lib/jdk.sh"
  JAVA_HOME=$(sluice_find_jdk) || die "no JDK >= 21"
  export JAVA_HOME
  (cd "$ROOT" && mvn -q -B -o -DskipTests package -pl sluice-cli -am) >&2 || die "sluice-cli build failed"
fi

SINK_PORT=$(free_port)
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>"$WORK/sink.err" &
SINK_PID=$!; STARTED+=("$SINK_PID")
wait_listening "$SINK_PORT" 10 || die "smtp-sink did not listen"
sink_count() {
  tail -c 300 "$WORK/sink.out" 2>/dev/null | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 | grep . || echo 0
}

REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!; STARTED+=("$REDIS_PID")
wait_listening "$REDIS_PORT" 10 || die "redis-server did not listen"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

start_node() { # NAME SHARED(0|1) -> NODE_PID NODE_ADDR
  local dir="$WORK/$1" redis_lua=""
  mkdir -p "$dir"
  [[ $2 == 1 ]] && redis_lua="kumo.configure_redis_throttles { node = 'redis://127.0.0.1:$REDIS_PORT/' }"
  cat >"$dir/policy.lua" <<EOF
local kumo = require 'kumo'
kumo.on('init', function()
  $redis_lua
  kumo.define_spool { name = 'data', path = '$dir/spool', kind = 'RocksDB', flush = false }
  kumo.configure_local_logs { log_dir = '$dir/logs' }
  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
end)
kumo.on('get_queue_config', function()
  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:$SINK_PORT' } } } }
end)
kumo.on('get_egress_path_config', function()
  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', connection_limit = $SESSIONS,
    max_message_rate = '1000000/s' }
end)
EOF
  (cd "$dir" && SLUICE_NO_BUILD=1 exec "$ROOT/bin/sluice" mta --policy "$dir/policy.lua") >"$dir/mta.log" 2>&1 &
  NODE_PID=$!; STARTED+=("$NODE_PID")
  wait_for_line "$dir/mta.log" 'initialization complete' 90 "$NODE_PID" || { tail -30 "$dir/mta.log" >&2; return 1; }
  NODE_ADDR=$(grep -o 'esmtp listener on [0-9.]*:[0-9]*' "$dir/mta.log" | head -1 | awk '{ print $4 }')
  NODE_ADDR=${NODE_ADDR#/}
}

redis_calls() { # round trips of the throttle engine (scripts, CL.THROTTLE, ZREM) and their server usec since RESETSTAT
  # (commandstats also counts the commands a script runs inside: those are not round trips)
  rcli INFO commandstats | tr -d '\r' \
    | awk -F'[=,:]' '/^cmdstat_(evalsha|eval|cl\.throttle|zrem):/ { c += $3; u += $5 } END { print c + 0, u + 0 }'
}

declare -A RATE CALLS USEC
row() { # NAME NODES SHARED
  local name=$1 nodes=$2 shared=$3 addrs=() pids=() i base target t0 t1 got deadline per
  for (( i = 0; i < nodes; i++ )); do
    start_node "$name-$i" "$shared"; addrs+=("$NODE_ADDR"); pids+=("$NODE_PID")
  done
  rcli CONFIG RESETSTAT >/dev/null
  base=$(sink_count); target=$(( base + MESSAGES )); per=$(( MESSAGES / nodes ))
  t0=$(date +%s.%N)
  local src=()
  for (( i = 0; i < nodes; i++ )); do
    smtp-source -s "$SESSIONS" -m "$per" -l "$SIZE" -f bench@example.test -t rcpt@example.test "${addrs[$i]}" \
      >"$WORK/source-$name-$i.log" 2>&1 &
    src+=("$!"); STARTED+=("$!")
  done
  target=$(( base + per * nodes ))
  deadline=$(( $(date +%s) + MAX_SECONDS ))
  while got=$(sink_count); (( got < target )); do
    (( $(date +%s) > deadline )) && { log "$name: time bound with $((got - base)) at the sink"; break; }
    sleep 0.05
  done
  t1=$(date +%s.%N)
  for i in "${src[@]}"; do wait "$i" 2>/dev/null || true; forget "$i"; done
  got=$(( $(sink_count) - base ))
  RATE[$name]=$(awk -v n="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
  read -r CALLS[$name] USEC[$name] < <(redis_calls)
  rcli INFO commandstats | tr -d '\r' | grep '^cmdstat_' | cut -d, -f1-2 | sed "s/^/[fleet-bench] $name /" >&2
  log "$name: $got messages, ${RATE[$name]}/s, Redis ${CALLS[$name]} commands"
  for i in "${pids[@]}"; do stop_pid "$i"; done
}

for name in ${ROWS:-local redis-1 redis-3}; do
  case $name in local) row local 1 0 ;; redis-1) row redis-1 1 1 ;; redis-3) row redis-3 3 1 ;; esac
done

echo "| row | nodes | messages/s | Redis round trips per delivery | server µs per round trip | added wall µs per delivery vs local |"
echo "|---|---|---|---|---|---|"
for name in ${ROWS:-local redis-1 redis-3}; do
  [[ -n ${RATE[$name]:-} ]] || continue # ROWS=none: only the issue runs
  n=1; [[ $name == redis-3 ]] && n=3
  if [[ $name == local ]]; then
    echo "| $name | $n | ${RATE[$name]} | 0 | – | – |"
  else
    awk -v r="${RATE[$name]}" -v l="${RATE[local]:-0}" -v c="${CALLS[$name]}" -v u="${USEC[$name]}" -v m="$MESSAGES" \
      -v name="$name" -v n="$n" 'BEGIN {
        printf "| %s | %d | %d | %.2f | %.1f | %.0f |\n", name, n, r, c / m, (c ? u / c : 0), (l ? 1e6 / r - 1e6 / l : 0) }'
  fi
done

if [[ -n "${ISSUE_RUNS:-}" ]]; then
  RATE_SECONDS=${RATE_SECONDS:-20}
  LIMIT_MESSAGES=${LIMIT_MESSAGES:-3000}
  tests='MtaFleetProcessTest#threeNodesSharing*'
  (( LIMIT_MESSAGES > 0 )) && tests="$tests+threeNodesNever*"
  log "issue runs: $tests, fleet.rate.seconds=$RATE_SECONDS fleet.messages=$LIMIT_MESSAGES"
  . "$ROOT/bin/lib/jdk.sh"
  JAVA_HOME=$(sluice_find_jdk) || die "no JDK >= 21"
  export JAVA_HOME
  if (cd "$ROOT" && SLUICE_NO_BUILD=1 mvn -q -B -o -pl sluice-cli -am test -Dtest="$tests" \
        -Dsurefire.failIfNoSpecifiedTests=false -Dsluice.home="$ROOT" -Dfleet.rate.seconds="$RATE_SECONDS" \
        -Dfleet.messages="$LIMIT_MESSAGES") >"$WORK/issue-runs.log" 2>&1; then
    result=passed
  else
    result=FAILED
  fi
  grep -h 'fleet rate:' "$ROOT"/sluice-cli/target/surefire-reports/*MtaFleetProcessTest*-output.txt 2>/dev/null \
    | sed 's/^/[fleet-bench] /' >&2 || true
  echo
  limit_text="$LIMIT_MESSAGES messages under connection_limit = 5"; (( LIMIT_MESSAGES > 0 )) || limit_text="connection_limit run skipped"
  echo "issue runs ($tests, ${RATE_SECONDS} s at 100/s, $limit_text): $result"
  [[ $result == passed ]] || { tail -40 "$WORK/issue-runs.log" >&2; exit 1; }
fi
