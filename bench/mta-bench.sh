#!/usr/bin/env bash
# mta-bench.sh — the MTA issue's benchmark: smtp-source (32 sessions) -> MTA -> smtp-sink on loopback, in one run:
#   sluice        `sluice mta` delivering directly to the sink
#   sluice+proxy  `sluice mta` delivering through `sluice proxy` (SOCKS5, source address 127.0.0.2)
#   postfix       a private Postfix instance configured as a relay, its normal durable queue
# Each row receives 20,000 messages of 10 KB, then 5,000 of 100 KB. Sluice's spool (RocksDB, flush = true) and
# Postfix's queue_directory live in the same work directory under /tmp, so on the same filesystem.
#
# Per row and size: messages/s from the start of smtp-source until the sink has counted all of them, CPU per
# message of the MTA process tree (plus the proxy's, for the proxy row), peak resident memory. fsyncs per message
# come from a separate, shorter strace pass (strace slows the MTA down, so it never runs during timed phases).
#
# The sink is `smtp-sink -c`: no dump directory (it discards mail), and its running counter `mesg=N` on stdout is
# how we know it has them all. Markdown on stdout; progress on stderr.
#
# Environment (all optional):
#   ROWS="sluice sluice+proxy postfix"   SIZES=10240,102400   MESSAGES=20000,5000
#   SESSIONS=32              smtp-source sessions, and the MTAs' connection limits toward the sink
#   FSYNC_MESSAGES=1000      messages (first size) of the strace pass per row; 0 skips it
#   MAX_SECONDS=300          time bound of each phase (smtp-source + waiting for the sink)
#   WORK_PARENT=/tmp         where the work directory (spools, Postfix's queue, logs) is created
#   SKIP_BUILD=1             use the jars already built   KEEP_WORK=1 keeps the work directory
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/procs.sh
. "$ROOT/bench/lib/procs.sh"   # descendants, free_port, wait_listening, wait_for_line, stop_pid
# shellcheck source=lib/postfix.sh
. "$ROOT/bench/lib/postfix.sh" # POSTFIX_DIR, postfix_master_pid, stop_postfix, configure_postfix, bench_cleanup
ROWS=${ROWS:-"sluice sluice+proxy postfix"}
SIZES=${SIZES:-10240,102400}
MESSAGES=${MESSAGES:-20000,5000}
SESSIONS=${SESSIONS:-32}
FSYNC_MESSAGES=${FSYNC_MESSAGES:-1000}
MAX_SECONDS=${MAX_SECONDS:-300}
WORK_PARENT=${WORK_PARENT:-/tmp}
CLK_TCK=$(getconf CLK_TCK)
PAGE_KB=$(( $(getconf PAGESIZE) / 1024 ))
PROXY_SOURCE=127.0.0.2

WORK=$(mktemp -d "$WORK_PARENT/mta-bench.XXXXXX")
chmod 755 "$WORK"
STARTED=()          # PIDs this script started, stopped on exit
STOP_SECONDS=10     # a draining MTA may take a while after TERM

log() { printf '[mta-bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- processes

trap bench_cleanup EXIT
trap 'exit 130' INT TERM




# CPU ticks of a process tree: utime+stime of every live member, plus cutime+cstime of the root (children it has
# reaped; Postfix's master reaps its exiting smtpd/cleanup/smtp processes). A delta over a phase is its CPU.
tree_ticks() { # ROOT-PID...
  local root pids=() p
  for root in "$@"; do
    pids+=("$root")
    for p in $(descendants "$root"); do pids+=("$p"); done
  done
  for p in "${pids[@]}"; do
    # fields after the ")" of comm: 14 utime 15 stime 16 cutime 17 cstime (1-based on the whole line)
    sed -E 's/^.*\) //' "/proc/$p/stat" 2>/dev/null | awk -v root=" $* " -v pid="$p" '
      { t = $12 + $13; if (index(root, " " pid " ")) t += $14 + $15; print t }' || true
  done | awk '{ s += $1 } END { print s + 0 }'
}

tree_pss_kb() { # ROOT-PID... -> summed Pss of the tree now (shared pages divided among their users, not counted N times)
  local root p
  for root in "$@"; do
    for p in "$root" $(descendants "$root"); do
      awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true
    done
  done | awk '{ s += $1 } END { print s + 0 }'
}

tree_hwm_kb() { # ROOT-PID... -> the largest VmHWM in the tree
  local root p
  for root in "$@"; do
    for p in "$root" $(descendants "$root"); do
      awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true
    done
  done | sort -n | tail -1
}

# ---------------------------------------------------------------- build
for tool in smtp-source smtp-sink postfix postconf strace; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [[ " $ROWS " == *" sluice"* && -z "${SKIP_BUILD:-}" ]]; then
  . "$ROOT/bin/lib/jdk.sh"
  JAVA_HOME=$(sluice_find_jdk) || die "no JDK >= 21"
  export JAVA_HOME
  log "building sluice-cli with $JAVA_HOME"
  (cd "$ROOT" && mvn -q -B -o -DskipTests package -pl sluice-cli -am) >&2 || die "sluice-cli build failed"
fi
ulimit -n 20000 2>/dev/null || log "warning: cannot raise open files (now $(ulimit -n))"

# ---------------------------------------------------------------- sink
# One smtp-sink for the whole run; the phases read its running counter. Backlog 1024, no dump directory.
SINK_PORT=$(free_port)
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>"$WORK/sink.err" &
SINK_PID=$!; STARTED+=("$SINK_PID")
wait_listening "$SINK_PORT" 10 || die "smtp-sink did not listen: $(cat "$WORK/sink.err")"
log "smtp-sink -c on 127.0.0.1:$SINK_PORT (pid $SINK_PID)"

sink_count() { # messages the sink has received so far (its counter is rewritten in place with \r)
  tail -c 300 "$WORK/sink.out" 2>/dev/null | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 \
    | grep . || echo 0
}

# ---------------------------------------------------------------- MTAs
MTA_PID=""; MTA_ADDR=""; PROXY_PID=""

write_policy() { # DIR [PROXY-ADDR]
  local dir=$1 proxy=${2:-} source_lua="" pool_lua=""
  if [[ -n "$proxy" ]]; then
    source_lua="kumo.define_egress_source { name = 'via-proxy', socks5_proxy_server = '$proxy',
    socks5_proxy_source_address = '$PROXY_SOURCE' }
  kumo.define_egress_pool { name = 'proxied', entries = { { name = 'via-proxy' } } }"
    pool_lua="egress_pool = 'proxied',"
  fi
  cat >"$dir/policy.lua" <<EOF
-- mta-bench policy: relay everything from 127.0.0.1 to the sink, spool fsynced before 250 (flush = true)
local kumo = require 'kumo'
kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '$dir/spool', kind = 'RocksDB', flush = true }
  kumo.configure_local_logs { log_dir = '$dir/logs' }
  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
  $source_lua
end)
kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config { $pool_lua
    protocol = { smtp = { mx_list = { '127.0.0.1:$SINK_PORT' } } } }
end)
kumo.on('get_egress_path_config', function(domain, source, site)
  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', connection_limit = $SESSIONS }
end)
EOF
}

start_sluice_proxy() {
  local port; port=$(free_port)
  (cd "$ROOT" && SLUICE_NO_BUILD=1 exec bin/sluice proxy --listen "127.0.0.1:$port" --allow-destination 127.0.0.0/8) >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!; STARTED+=("$PROXY_PID")
  wait_for_line "$WORK/proxy.log" 'proxy listener on' 60 "$PROXY_PID" || { tail -20 "$WORK/proxy.log" >&2; return 1; }
  wait_listening "$port" 10 || return 1
  PROXY_ADDR="127.0.0.1:$port"
}

start_sluice_mta() { # NAME [PROXY-ADDR]
  local dir="$WORK/$1"
  mkdir -p "$dir"
  write_policy "$dir" "${2:-}"
  (cd "$dir" && SLUICE_NO_BUILD=1 exec "$ROOT/bin/sluice" mta --policy "$dir/policy.lua") >"$dir/mta.log" 2>&1 &
  MTA_PID=$!; STARTED+=("$MTA_PID")
  if ! wait_for_line "$dir/mta.log" 'initialization complete' 90 "$MTA_PID"; then
    log "sluice mta did not start; its output:"; tail -30 "$dir/mta.log" >&2; return 1
  fi
  MTA_ADDR=$(grep -o 'esmtp listener on [0-9.]*:[0-9]*' "$dir/mta.log" | head -1 | awk '{ print $4 }')
  MTA_ADDR=${MTA_ADDR#/}
  [[ -n "$MTA_ADDR" ]] || { log "no 'esmtp listener on' line"; return 1; }
}

start_postfix() {
  local dir="$WORK/postfix" port; port=$(free_port)
  configure_postfix "$dir" "$port" "$SINK_PORT" "$SESSIONS" || return 1
  postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" "$dir/maillog" >&2; return 1; }
  wait_listening "$port" 20 || { log "postfix smtpd did not listen"; cat "$dir/maillog" >&2; return 1; }
  MTA_PID=$(postfix_master_pid) || return 1
  MTA_ADDR="127.0.0.1:$port"
}

# ---------------------------------------------------------------- measuring
declare -A R      # "row:size" -> "rate cpu_ms_per_msg count elapsed"
declare -A PEAK   # row -> peak RSS text
declare -A FSYNC  # row -> fsyncs per message
PEAK_SUM=0

sample_peak() { # ROOT-PID...: keeps the largest summed Pss seen
  local now; now=$(tree_pss_kb "$@")
  (( now > PEAK_SUM )) && PEAK_SUM=$now
  return 0
}

phase() { # ROW SIZE COUNT  (MTA_PID, PROXY_PID, MTA_ADDR set)
  local row=$1 size=$2 count=$3 base target t0 t1 c0 c1 deadline got src_pid ticks=0
  local roots=("$MTA_PID"); [[ -n "$PROXY_PID" ]] && roots+=("$PROXY_PID")
  base=$(sink_count); target=$(( base + count ))
  c0=$(tree_ticks "${roots[@]}")
  t0=$(date +%s.%N)
  smtp-source -s "$SESSIONS" -m "$count" -l "$size" -f bench@example.test -t rcpt@example.test \
    "$MTA_ADDR" >"$WORK/source-$row-$size.log" 2>&1 &
  src_pid=$!; STARTED+=("$src_pid")
  deadline=$(( $(date +%s) + MAX_SECONDS ))
  while :; do
    got=$(sink_count)
    (( got >= target )) && break
    if (( $(date +%s) > deadline )); then
      log "$row $size: time bound reached with $((got - base))/$count at the sink"
      kill -TERM "$src_pid" 2>/dev/null || true; break
    fi
    # Postfix's memory is many short-lived processes: sample their summed Pss every ~0.5 s
    [[ $row == postfix ]] && (( ++ticks % 10 == 0 )) && sample_peak "${roots[@]}"
    sleep 0.05
  done
  t1=$(date +%s.%N)
  c1=$(tree_ticks "${roots[@]}")
  wait "$src_pid" 2>/dev/null || log "$row $size: smtp-source exited non-zero: $(tail -3 "$WORK/source-$row-$size.log")"
  forget "$src_pid"
  got=$(( $(sink_count) - base ))
  # the 1-minute load average at the end: other work on the machine shows here
  R[$row:$size]=$(awk -v n="$got" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v hz="$CLK_TCK" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { e = t1 - t0; printf "%.0f %.3f %d %.2f %s", n / e, (c / hz) * 1000 / (n ? n : 1), n, e, load }')
  log "$row $size x $count: $(awk '{ printf "%s msg/s, %s ms CPU/msg, %d delivered in %s s", $1, $2, $3, $4 }' <<<"${R[$row:$size]}")"
}

fsync_pass() { # ROW: strace the MTA (and proxy) during FSYNC_MESSAGES messages of the first size
  local row=$1 size=${SIZES%%,*} n=$FSYNC_MESSAGES base target deadline pids=() p st_pid calls
  (( n > 0 )) || return 0
  for p in "$MTA_PID" $(descendants "$MTA_PID"); do pids+=(-p "$p"); done
  if [[ -n "$PROXY_PID" ]]; then for p in "$PROXY_PID" $(descendants "$PROXY_PID"); do pids+=(-p "$p"); done; fi
  strace -f -c -e trace=fsync,fdatasync,sync_file_range,syncfs,sync,msync -o "$WORK/strace-$row.txt" \
    "${pids[@]}" 2>"$WORK/strace-$row.err" &
  st_pid=$!; STARTED+=("$st_pid")
  sleep 2   # attaching to every thread takes a moment
  base=$(sink_count); target=$(( base + n ))
  timeout "$MAX_SECONDS" smtp-source -s "$SESSIONS" -m "$n" -l "$size" -f bench@example.test \
    -t rcpt@example.test "$MTA_ADDR" >"$WORK/source-fsync-$row.log" 2>&1 || true
  deadline=$(( $(date +%s) + MAX_SECONDS ))
  while (( $(sink_count) < target && $(date +%s) <= deadline )); do sleep 0.1; done
  sleep 1   # deletions after delivery (RocksDB) and Postfix's queue-file removal
  kill -INT "$st_pid" 2>/dev/null || true
  wait "$st_pid" 2>/dev/null || true
  forget "$st_pid"
  calls=$(awk '$NF ~ /^(fsync|fdatasync|sync_file_range|syncfs|sync|msync)$/ { s += $4 } END { print s + 0 }' \
    "$WORK/strace-$row.txt")
  FSYNC[$row]=$(awk -v c="$calls" -v n="$n" 'BEGIN { printf "%.2f", c / n }')
  log "$row: $calls sync calls for $n messages ($(tr '\n' ' ' <"$WORK/strace-$row.txt" | sed 's/  */ /g' | cut -c1-300))"
}

run_row() { # ROW
  local row=$1 i size count
  MTA_PID=""; PROXY_PID=""; PROXY_ADDR=""; PEAK_SUM=0
  case $row in
    sluice) start_sluice_mta sluice || return 1 ;;
    sluice+proxy) start_sluice_proxy || return 1; start_sluice_mta sluice-proxy "$PROXY_ADDR" || return 1 ;;
    postfix) start_postfix || return 1 ;;
    *) die "unknown row $row" ;;
  esac
  log "$row: MTA pid $MTA_PID on $MTA_ADDR${PROXY_PID:+, proxy pid $PROXY_PID on $PROXY_ADDR}"
  IFS=, read -r -a sizes <<<"$SIZES"; IFS=, read -r -a counts <<<"$MESSAGES"
  for i in "${!sizes[@]}"; do phase "$row" "${sizes[$i]}" "${counts[$i]}"; done
  local roots=("$MTA_PID"); [[ -n "$PROXY_PID" ]] && roots+=("$PROXY_PID")
  if [[ $row == postfix ]]; then
    PEAK[$row]="$(( PEAK_SUM / 1024 )) MiB Pss summed over its processes (largest single VmHWM: $(( $(tree_hwm_kb "$MTA_PID") / 1024 )) MiB)"
  else
    local hwm; hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MTA_PID/status")
    PEAK[$row]="$(( hwm / 1024 )) MiB"
    if [[ -n "$PROXY_PID" ]]; then
      local phwm=0 p
      for p in "$PROXY_PID" $(descendants "$PROXY_PID"); do
        v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0); (( v > phwm )) && phwm=$v
      done
      PEAK[$row]+=" + proxy $(( phwm / 1024 )) MiB"
    fi
  fi
  fsync_pass "$row"
  if [[ $row == postfix ]]; then stop_postfix; POSTFIX_DIR=""; else stop_pid "$MTA_PID"; fi
  [[ -n "$PROXY_PID" ]] && stop_pid "$PROXY_PID"
  return 0
}

log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
log "work directory $WORK (sluice spools and postfix queue_directory inside it; filesystem: $(df -P "$WORK" | awk 'NR==2 { print $1 }'))"
DONE=()
for row in $ROWS; do
  if run_row "$row"; then DONE+=("$row"); else log "$row: could not start, skipped"; stop_postfix; POSTFIX_DIR=""; fi
done

# ---------------------------------------------------------------- report
IFS=, read -r -a sizes <<<"$SIZES"; IFS=, read -r -a counts <<<"$MESSAGES"
echo "| MTA | messages | msg/s | CPU ms/msg | delivered | elapsed s | load avg | fsyncs/msg | peak RSS |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
for row in "${DONE[@]}"; do
  tot_n=0; tot_e=0; tot_c=0
  for i in "${!sizes[@]}"; do
    read -r rate cpu n e load <<<"${R[$row:${sizes[$i]}]}"
    tot_n=$((tot_n + n)); tot_e=$(awk -v a="$tot_e" -v b="$e" 'BEGIN { print a + b }')
    tot_c=$(awk -v a="$tot_c" -v b="$cpu" -v n="$n" 'BEGIN { print a + b * n }')
    echo "| $row | ${counts[$i]} x $(( ${sizes[$i]} / 1024 )) KB | $rate | $cpu | $n | $e | $load | ${FSYNC[$row]:-n/a} | ${PEAK[$row]} |"
  done
  R[$row:all]=$(awk -v n="$tot_n" -v e="$tot_e" -v c="$tot_c" 'BEGIN { printf "%.0f %.3f %d %.2f", n / e, c / n, n, e }')
  read -r rate cpu n e <<<"${R[$row:all]}"
  echo "| $row | all | $rate | $cpu | $n | $e | | | |"
done
if [[ -n "${R[postfix:all]:-}" ]]; then
  echo
  for row in "${DONE[@]}"; do
    [[ $row == postfix ]] && continue
    for key in "${sizes[@]}" all; do
      awk -v a="${R[$row:$key]%% *}" -v b="${R[postfix:$key]%% *}" -v r="$row" -v k="$key" \
        'BEGIN { printf "- %s / postfix (%s): %.2fx\n", r, k, a / b }'
    done
  done
fi
