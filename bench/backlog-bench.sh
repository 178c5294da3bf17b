#!/usr/bin/env bash
# backlog-bench.sh — issue 12's benchmark: a large backlog to an MX that is down, for Sluice and Postfix in one run,
# on the same disk with fsync on (Sluice: RocksDB spool, flush = true; Postfix: its queue_directory).
#
# Per MTA (rows "sluice" and "postfix"):
#   1. queue MESSAGES x SIZE bytes with smtp-source (SESSIONS sessions) while the MX refuses connections; wait until
#      every message had its first attempt and waits for a retry (Sluice: scheduled_count; Postfix: deferred/)
#   1b. the first start (empty spool) is timed too: start until the listener answers 220
#   2. report RSS (Sluice: VmRSS; Postfix: Pss summed over its processes), heap used after a full GC (Sluice), and
#      the disk used by the spool / queue directory
#   3. stop the MTA, bring the MX up (smtp-sink), start the MTA again: time until its SMTP listener answers 220,
#      time until the whole backlog is scheduled (Sluice: spool_enumeration_done; Postfix has no such step: n/a)
#   4. the drain: msg/s from the restart until the sink has every message; then duplicates and losses, from the
#      queue id in each delivered message's Received header (the MTA's own), counted in the sink's dump file
# Sluice restarts with retry_interval = 2 s, so that its deferred messages fall due at once (they were deferred for
# an hour); Postfix gets `postqueue -f` once the sink is up.
#
# Environment (all optional):
#   ROWS="sluice postfix"  MESSAGES=100000  SIZE=10240  SESSIONS=32  MAX_SECONDS=3600 (bound of each wait)
#   WORK_PARENT=/tmp  SKIP_BUILD=1  KEEP_WORK=1  SLUICE_ROOT=<checkout whose bin/sluice runs> (default: this one)
#   JAVA_OPTS  passed to `sluice mta` (the launcher's default heap cap applies unless it sets -Xmx)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/procs.sh"   # descendants, free_port, wait_listening, wait_for_line, stop_pid
. "$ROOT/bench/lib/postfix.sh" # POSTFIX_DIR, postfix_master_pid, stop_postfix, configure_postfix, bench_cleanup
SLUICE_ROOT=${SLUICE_ROOT:-$ROOT}
ROWS=${ROWS:-"sluice postfix"}
MESSAGES=${MESSAGES:-100000}
SIZE=${SIZE:-10240}
SESSIONS=${SESSIONS:-32}
MAX_SECONDS=${MAX_SECONDS:-3600}
WORK_PARENT=${WORK_PARENT:-/tmp}
WORK=$(mktemp -d "$WORK_PARENT/backlog-bench.XXXXXX")
chmod 755 "$WORK"
STARTED=()
STOP_SECONDS=60

log() { printf '[backlog-bench] %(%H:%M:%S)T %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

tree_pss_kb() {
  local p
  for p in "$1" $(descendants "$1"); do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true; done \
    | awk '{ s += $1 } END { print s + 0 }'
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

banner_ok() { # PORT: the server answers 220 within 1 s
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 3 <&3" 2>/dev/null | grep -q 220
}

wait_banner() { # PORT SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  while (( $(date +%s) <= deadline )); do banner_ok "$1" && return 0; sleep 0.05; done
  return 1
}

for tool in smtp-source smtp-sink postfix postconf postqueue; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [[ " $ROWS " == *" sluice "* && -z "${SKIP_BUILD:-}" ]]; then
  . "$SLUICE_ROOT/bin/lib/jdk.sh"
  JAVA_HOME=$(sluice_find_jdk) || die "no JDK >= 21"
  export JAVA_HOME
  log "building sluice-cli"
  (cd "$SLUICE_ROOT" && mvn -q -B -o -DskipTests package -pl sluice-cli -am) >&2 || die "build failed"
fi
ulimit -n 20000 2>/dev/null || true

# ---------------------------------------------------------------- the MX (down until the sink starts on its port)
MX_PORT=$(free_port)
SINK_PID=""
start_sink() { # ROW
  mkdir -p "$WORK/dump-$1"; chown nobody "$WORK/dump-$1"   # smtp-sink writes as nobody
  smtp-sink -c -u nobody -D "$WORK/dump-$1/all" "127.0.0.1:$MX_PORT" 1024 >"$WORK/sink-$1.out" 2>"$WORK/sink-$1.err" &
  SINK_PID=$!; STARTED+=("$SINK_PID")
  wait_listening "$MX_PORT" 10 || die "smtp-sink did not listen: $(cat "$WORK/sink-$1.err")"
}
sink_count() { # ROW
  tail -c 300 "$WORK/sink-$1.out" 2>/dev/null | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 \
    | grep . || echo 0
}
stop_sink() { stop_pid "$SINK_PID"; SINK_PID=""; }

# the MTA's own queue id in each delivered message (the first Received header is the MTA's): duplicates, losses
count_ids() { # ROW -> "distinct duplicates"
  cat "$WORK/dump-$1"/* | grep -aoE '\((Sluice|Postfix)\) with E?SMTPS? id [0-9A-Za-z]+' | awk '{ print $NF }' | sort \
    | uniq -c | awk '{ n++; if ($1 > 1) d += $1 - 1 } END { print n + 0, d + 0 }'
}

declare -A OUT

# ROW T0 [HTTP-PORT]: waits until the sink has every message; prints "seconds-since-T0 scheduled-at" (the second
# from Sluice's spool_enumeration_done, first seen while waiting; n/a without HTTP-PORT)
drained() {
  local row=$1 t0=$2 http=${3:-} sched=n/a deadline=$(( $(date +%s) + MAX_SECONDS ))
  [[ -n "$http" ]] && sched=""
  while (( $(sink_count "$row") < MESSAGES )); do
    if [[ -n "$http" && -z "$sched" && $(metric "$http" spool_enumeration_done) == 1 ]]; then sched=$(since "$t0"); fi
    (( $(date +%s) > deadline )) && { log "$row: drain time bound reached"; break; }
    sleep 0.2
  done
  local drain; drain=$(since "$t0")
  [[ -n "$sched" ]] || sched=$drain # the enumeration ended in the last poll interval
  echo "$drain $sched"
}

queue_backlog() { # ROW PORT: smtp-source sends the backlog; prints the seconds it took
  local t0; t0=$(now)
  log "$1: queueing $MESSAGES x $SIZE bytes, MX down"
  smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f bench@example.test -t rcpt@example.test \
    "127.0.0.1:$2" >"$WORK/source-$1.log" 2>&1 || log "smtp-source: $(tail -2 "$WORK/source-$1.log")"
  since "$t0"
}

row_line() { # ROW QUEUEING MEMORY HEAP DISK FIRST-START READY SCHED DRAIN
  local n d
  sleep 2   # the sink's last files
  read -r n d <<<"$(count_ids "$1")"
  echo "| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $(awk -v n="$n" -v t="$9" 'BEGIN { printf "%.0f", n / t }') | $n | $d | $(( MESSAGES - n )) |"
}

# ---------------------------------------------------------------- sluice
sluice_policy() { # DIR RETRY
  cat >"$1/policy.lua" <<EOF
local kumo = require 'kumo'
kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '$1/spool', kind = 'RocksDB', flush = true }
  kumo.configure_local_logs { log_dir = '$1/logs' }
  kumo.start_esmtp_listener { listen = '127.0.0.1:$2', relay_hosts = { '127.0.0.1' } }
  kumo.start_http_listener { listen = '127.0.0.1:$3' }
end)
kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config { retry_interval = '$4', max_retry_interval = '$4',
    protocol = { smtp = { mx_list = { '127.0.0.1:$MX_PORT' } } } }
end)
kumo.on('get_egress_path_config', function(domain, source, site)
  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', connection_limit = $SESSIONS }
end)
EOF
}

metric() { # HTTP-PORT NAME -> value (0 when absent)
  curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 + 0; found = 1 } END { if (!found) print 0 }'
}

start_sluice() { # DIR SMTP HTTP RETRY
  sluice_policy "$1" "$2" "$3" "$4"
  (cd "$1" && SLUICE_NO_BUILD=1 exec "$SLUICE_ROOT/bin/sluice" mta --policy "$1/policy.lua") >>"$1/mta.log" 2>&1 &
  MTA_PID=$!; STARTED+=("$MTA_PID")
}

run_sluice() {
  local dir="$WORK/sluice" smtp http t0 q rss heap disk first ready drain sched
  mkdir -p "$dir"; smtp=$(free_port); http=$(free_port)
  t0=$(now)
  start_sluice "$dir" "$smtp" "$http" "1h"
  wait_banner "$smtp" 120 || { tail -30 "$dir/mta.log" >&2; die "sluice did not start"; }
  first=$(since "$t0")
  q=$(queue_backlog sluice "$smtp")
  local deadline=$(( $(date +%s) + MAX_SECONDS ))
  while (( $(metric "$http" scheduled_count) < MESSAGES )); do
    (( $(date +%s) > deadline )) && { log "sluice: only $(metric "$http" scheduled_count) scheduled"; break; }
    sleep 1
  done
  log "sluice: queued in $q s; $(metric "$http" scheduled_count) deferred"
  rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$MTA_PID/status")
  jcmd "$MTA_PID" GC.run >/dev/null 2>&1 || true
  heap=$(jcmd "$MTA_PID" GC.heap_info 2>/dev/null | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+' \
    | awk '{ printf "%.0f", $1 / 1024 }')
  jcmd "$MTA_PID" GC.class_histogram 2>/dev/null | head -25 >"$WORK/sluice-histogram.txt" || true
  disk=$(du -sm "$dir/spool" | cut -f1)
  log "sluice: RSS $rss MiB, heap used $heap MiB, spool $disk MiB"
  stop_pid "$MTA_PID"
  start_sink sluice
  t0=$(now)
  start_sluice "$dir" "$smtp" "$http" "2s"
  wait_banner "$smtp" 300 || die "sluice did not come back"
  ready=$(since "$t0")
  read -r drain sched <<<"$(drained sluice "$t0" "$http")"
  OUT[sluice]=$(row_line sluice "$q" "$rss" "$heap" "$disk" "$first" "$ready" "$sched" "$drain")
  stop_pid "$MTA_PID"; stop_sink
  log "${OUT[sluice]}"
}

# ---------------------------------------------------------------- postfix
run_postfix() {
  local dir="$WORK/postfix" port t0 q pss disk first ready drain sched
  port=$(free_port)
  # long back-off: nothing is retried before the restart; the drain starts with `postqueue -f`
  configure_postfix "$dir" "$port" "$MX_PORT" "$SESSIONS" \
    "minimal_backoff_time = 3600s" "maximal_backoff_time = 3600s" "queue_run_delay = 3600s" || return 1
  t0=$(now)
  postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" >&2; return 1; }
  wait_banner "$port" 30 || die "postfix did not listen"
  first=$(since "$t0")
  q=$(queue_backlog postfix "$port")
  local deadline=$(( $(date +%s) + MAX_SECONDS ))
  # counting a million queue files costs a CPU-second: poll every POLL seconds (1 s up to 100,000 messages, else 10 s)
  local poll=$(( MESSAGES > 100000 ? 10 : 1 ))
  while (( $(find "$dir/queue/deferred" -type f | wc -l) < MESSAGES )); do
    (( $(date +%s) > deadline )) && { log "postfix: only $(find "$dir/queue/deferred" -type f | wc -l) deferred"; break; }
    sleep "$poll"
  done
  log "postfix: queued in $q s; $(find "$dir/queue/deferred" -type f | wc -l) deferred"
  pss=$(( $(tree_pss_kb "$(postfix_master_pid)") / 1024 ))
  disk=$(du -sm "$dir/queue" | cut -f1)
  log "postfix: Pss $pss MiB, queue $disk MiB"
  stop_postfix
  start_sink postfix
  t0=$(now)
  postfix -c "$dir/etc" start >"$dir/start2.log" 2>&1 || die "postfix did not restart"
  wait_banner "$port" 300 || die "postfix did not come back"
  ready=$(since "$t0")
  postqueue -c "$dir/etc" -f || true
  read -r drain sched <<<"$(drained postfix "$t0")"
  OUT[postfix]=$(row_line postfix "$q" "$pss (Pss, summed)" n/a "$disk" "$first" "$ready" "$sched" "$drain")
  stop_postfix; POSTFIX_DIR=""; stop_sink
  log "${OUT[postfix]}"
}

log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; work directory $WORK"
for row in $ROWS; do
  case $row in
    sluice) run_sluice ;;
    postfix) run_postfix ;;
    *) die "unknown row $row" ;;
  esac
done
echo "$MESSAGES x $SIZE bytes queued to a down MX, $SESSIONS sessions, fsync on"
echo
echo "| MTA | queueing s | RSS MiB at backlog | heap used MiB (after GC) | disk MiB | first start to 220 s (empty) | restart to 220 s | restart to all scheduled s | drain msg/s (from restart) | delivered | duplicates | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in $ROWS; do echo "${OUT[$row]:-| $row | failed |}"; done
