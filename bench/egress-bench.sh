#!/usr/bin/env bash
# egress-bench.sh — SMTP messages per second delivered by Sluice's egress layer to smtp-sink, on loopback:
# direct (the ceiling), through `sluice proxy` (SOCKS5 BIND+CONNECT, sources 127.0.0.2-9 spread over the
# connections), through HAProxy (PROXY v2, source 127.0.0.9) and through microsocks (SOCKS5 CONNECT alone),
# in one run, with CPU per message for the sender, the proxy and the sink.
#
# The sender is the bench module's dev.sluice.bench.egress.EgressLoad: Sluice's own Connector + SmtpClient
# (enable_tls Disabled, pipelining on, RSET between messages as KumoMTA's default), 32 connections, each
# sending pre-built messages back to back and reconnecting after 1024 deliveries (max_deliveries_per_connection).
# smtp-sink runs without a dump directory, so the sink discards mail and disk is not measured.
# Markdown on stdout; progress on stderr.
#
# Environment (all optional):
#   ROWS="direct sluice haproxy microsocks"   which rows, in order (direct first: the ratio column needs it); a row
#                        sluice-NAME runs `sluice proxy` (BIND+CONNECT like the sluice row) from the command in
#                        SLUICE_PROXY_CMD_NAME (PORT replaced), to compare builds or options in one run, e.g.
#     ROWS="direct sluice-uring sluice-epoll haproxy" \
#     SLUICE_PROXY_CMD_uring="bin/sluice proxy --listen 127.0.0.1:PORT --allow-destination 127.0.0.0/8" \
#     SLUICE_PROXY_CMD_epoll="env JAVA_OPTS=-Dsluice.proxy.transport=epoll bin/sluice proxy --listen ..."
#   SIZES=10240,102400 MESSAGES=20000,5000    measured phases per row (size in bytes, count)
#   REPEATS=3            cycles over all rows (interleaved, so background load hits every row alike); the
#                        table shows medians, the ratio is the median of each cycle's row/direct ratio
#   WARMUP=3000          messages (first size) sent before measuring, per row: JIT, proxy pools
#   CONNECTIONS=32 MAX_DELIVERIES=1024 MAX_SECONDS=60 (time bound of each phase) LOAD_THREADS=<nproc>
#   SKIP_BUILD=1         use the jars already built   KEEP_WORK=1 keeps logs in the work directory
#   JAVA_HOME            JDK >= 21 (else the newest under /usr/lib/jvm, as bin/sluice does)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/procs.sh
. "$ROOT/bench/lib/procs.sh"   # descendants, free_port, wait_listening, wait_for_line, stop_pid
ROWS=${ROWS:-"direct sluice haproxy microsocks"}
SIZES=${SIZES:-10240,102400}
MESSAGES=${MESSAGES:-20000,5000}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-3000}
CONNECTIONS=${CONNECTIONS:-32}
MAX_DELIVERIES=${MAX_DELIVERIES:-1024}
MAX_SECONDS=${MAX_SECONDS:-60}
LOAD_THREADS=${LOAD_THREADS:-$(nproc)}
BIND_SOURCES=127.0.0.2-9
HA_SOURCE=127.0.0.9
FD_LIMIT=20000
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/egress-bench.XXXXXX)
STARTED=()   # every PID this script started, stopped on exit

log() { printf '[egress-bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- processes

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pid_set() { # PID -> "PID+CHILD+..." (the load tool sums /proc/PID/stat utime+stime+cutime+cstime over them)
  local pids=("$1") p
  for p in $(descendants "$1"); do pids+=("$p"); done
  (IFS=+; echo "${pids[*]}")
}




# ---------------------------------------------------------------- java + build
. "$ROOT/bin/lib/jdk.sh"
JAVA_HOME=$(sluice_find_jdk) || die "no JDK >= 21"
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
if [[ -z "${SKIP_BUILD:-}" ]]; then
  log "building the bench module (and sluice-egress) with $JAVA_HOME"
  (cd "$ROOT" && mvn -q -B -o -DskipTests package -pl bench -am) >&2 || die "bench build failed"
  if [[ " $ROWS " == *" sluice"* ]]; then
    log "building sluice-cli"
    (cd "$ROOT" && mvn -q -B -o -DskipTests package -pl sluice-cli -am) >&2 || die "sluice-cli build failed"
  fi
fi
CP="$ROOT/bench/target/sluice-bench.jar:$ROOT/bench/target/lib/*"
[[ -f "$ROOT/bench/target/sluice-bench.jar" ]] || die "bench/target/sluice-bench.jar missing (unset SKIP_BUILD)"
JOPTS=(-XX:+UseSerialGC -Xms256m -Xmx1g --enable-native-access=ALL-UNNAMED)

ulimit -n "$FD_LIMIT" 2>/dev/null || log "warning: cannot raise open files to $FD_LIMIT (now $(ulimit -n))"

# ---------------------------------------------------------------- sink
command -v smtp-sink >/dev/null || die "smtp-sink (postfix) is not installed"
SINK_PORT=$(free_port)
# no dump directory: the sink reads and discards, so the disk is not part of the measurement
smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!; STARTED+=("$SINK_PID")
wait_listening "$SINK_PORT" 10 || die "smtp-sink did not listen on 127.0.0.1:$SINK_PORT: $(cat "$WORK/sink.log")"
log "smtp-sink on 127.0.0.1:$SINK_PORT (pid $SINK_PID)"

# ---------------------------------------------------------------- peers
PEER_PID=""; PEER_ADDR=""

start_sluice() { # [COMMAND]: run from the repository root with PORT replaced; bin/sluice proxy unless given
  local cmd=${1:-} port; port=$(free_port)
  if [[ -z "$cmd" ]]; then
    [[ -x "$ROOT/bin/sluice" ]] || { log "bin/sluice not found: skipping"; return 1; }
    cmd="bin/sluice proxy --listen 127.0.0.1:PORT --allow-destination 127.0.0.0/8"
  fi
  cmd=${cmd//PORT/$port}
  log "starting: $cmd"
  (cd "$ROOT" && export SLUICE_NO_BUILD=1 && exec bash -c "exec $cmd") >"$WORK/sluice.log" 2>&1 &
  PEER_PID=$!; STARTED+=("$PEER_PID"); PEER_ADDR="127.0.0.1:$port"
  if ! wait_for_line "$WORK/sluice.log" 'proxy listener on' 60 "$PEER_PID"; then
    log "sluice proxy did not log 'proxy listener on'; its output:"; tail -20 "$WORK/sluice.log" >&2
    return 1
  fi
  wait_listening "$port" 10
}

start_haproxy() {
  command -v haproxy >/dev/null || { log "haproxy not installed: skipping"; return 1; }
  local port; port=$(free_port)
  # the reference forward config (shared/reference/test-peers-files/haproxy-forward.cfg) on a free port,
  # maxconn raised from 256; it connects to the PROXY v2 header's dst from its src
  cat >"$WORK/haproxy.cfg" <<EOF
global
    log stderr format raw local0 info
    maxconn 4096
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fwd
    bind 127.0.0.1:$port accept-proxy
    default_backend transparent
backend transparent
    server v4 0.0.0.0 source 0.0.0.0 usesrc clientip
EOF
  haproxy -c -q -f "$WORK/haproxy.cfg" >&2 || return 1
  haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
  PEER_PID=$!; STARTED+=("$PEER_PID"); PEER_ADDR="127.0.0.1:$port"
  wait_listening "$port" 10
}

start_microsocks() {
  command -v microsocks >/dev/null || { log "microsocks not installed: skipping"; return 1; }
  local port; port=$(free_port)
  # microsocks logs every connection; to /dev/null so the row does not pay for a log file
  microsocks -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  PEER_PID=$!; STARTED+=("$PEER_PID"); PEER_ADDR="127.0.0.1:$port"
  wait_listening "$port" 10
}

stop_peer() {
  [[ -n "$PEER_PID" ]] && stop_pid "$PEER_PID"
  PEER_PID=""; PEER_ADDR=""
}

# ---------------------------------------------------------------- measuring
declare -A R   # "row:size:cycle" -> RESULT line
DONE_ROWS=()   # rows in order, once each
CYCLE=1

load() { # ROW ROUTE-ARGS...   one JVM per row: warm-up, then one RESULT line per size
  local row=$1; shift
  local watch="sink=$SINK_PID" out
  [[ -n "$PEER_PID" ]] && watch="proxy=$(pid_set "$PEER_PID"),$watch"
  out=$("$JAVA" "${JOPTS[@]}" -cp "$CP" dev.sluice.bench.egress.EgressLoad --path "$row" \
        --target "127.0.0.1:$SINK_PORT" "$@" --connections "$CONNECTIONS" --max-deliveries "$MAX_DELIVERIES" \
        --sizes "$SIZES" --messages "$MESSAGES" --warmup "$WARMUP" --max-seconds "$MAX_SECONDS" \
        --threads "$LOAD_THREADS" --clk-tck "$CLK_TCK" --watch "$watch" 2>"$WORK/load.$row.err") || true
  grep -v '^SLF4J\|^WARNING' "$WORK/load.$row.err" | sed "s/^/[egress-bench] $row: /" >&2 || true
  local line size
  while read -r line; do
    [[ $line == RESULT* ]] || continue
    size=$(field "$line" size)
    R[$row:$size:$CYCLE]=$line
    log "cycle $CYCLE: ${line#RESULT }"
  done <<<"$out"
  [[ " ${DONE_ROWS[*]} " == *" $row "* ]] || DONE_ROWS+=("$row")
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for CYCLE in $(seq 1 "$REPEATS"); do
log "======== cycle $CYCLE of $REPEATS"
for row in $ROWS; do
  case $row in
    direct)
      log "== direct"; load direct --route direct ;;
    sluice)
      log "== sluice proxy (SOCKS5 BIND+CONNECT, sources $BIND_SOURCES)"
      if start_sluice; then load sluice --route socks5-bind --proxy "$PEER_ADDR" --sources "$BIND_SOURCES"; fi
      stop_peer ;;
    sluice-*)
      var="SLUICE_PROXY_CMD_${row#sluice-}"
      [[ -n "${!var:-}" ]] || die "row $row needs $var"
      log "== $row: ${!var}"
      if start_sluice "${!var}"; then load "$row" --route socks5-bind --proxy "$PEER_ADDR" --sources "$BIND_SOURCES"; fi
      stop_peer ;;
    haproxy)
      log "== haproxy (PROXY v2, source $HA_SOURCE)"
      if start_haproxy; then load haproxy --route haproxy --proxy "$PEER_ADDR" --sources "$HA_SOURCE"; fi
      stop_peer ;;
    microsocks)
      log "== microsocks (SOCKS5 CONNECT)"
      if start_microsocks; then load microsocks --route socks5 --proxy "$PEER_ADDR"; fi
      stop_peer ;;
    *) die "unknown row '$row' in ROWS" ;;
  esac
done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
per_msg() { awk -v a="${1:-}" -v n="${2:-}" 'BEGIN { if (a == "" || n == "" || n + 0 == 0) exit; printf "%.1f\n", a * 1e6 / n }'; }
label() {
  case $1 in
    direct) echo "direct" ;; sluice) echo "sluice proxy (SOCKS5 BIND+CONNECT)" ;;
    sluice-*) echo "sluice proxy ${1#sluice-} (SOCKS5 BIND+CONNECT)" ;;
    haproxy) echo "HAProxy (PROXY v2)" ;; microsocks) echo "microsocks (SOCKS5 CONNECT)" ;; *) echo "$1" ;;
  esac
}
kb() { awk -v b="$1" 'BEGIN { printf "%g KB", b / 1024 }'; }
fmt() { [[ -n "${1:-}" ]] && printf "%.${2}f" "$1" || printf -- "-"; }

echo
echo "### Egress: SMTP delivery to smtp-sink on loopback ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), $("$JAVA" -version 2>&1 | head -1 | tr -d '"'))"
echo
echo "$CONNECTIONS connections, up to $MAX_DELIVERIES messages each before reconnecting; sizes $SIZES bytes, counts $MESSAGES per"
echo "phase, after a $WARMUP-message warm-up per row; $REPEATS cycles over the rows, medians shown (msgs/s range = min–max over"
echo "cycles; vs direct = median of the per-cycle ratios). CPU µs/msg = CPU-seconds of the process during the phase / messages"
echo "delivered (sender = the EgressLoad JVM; proxy = the peer and its children; sink = smtp-sink; \"all three\" = their sum,"
echo "so $(nproc) CPUs / that = the CPU-bound ceiling of the row). Load average before / after the run: $LOAD_BEFORE / $LOAD_AFTER (all on $(nproc) shared CPUs)."
echo
echo "| path | size | msgs/s (median) | msgs/s range | vs direct | sender CPU µs/msg | proxy CPU µs/msg | sink CPU µs/msg | all three µs/msg | delivered | errors | timed out |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
for size in "${SIZE_LIST[@]}"; do
  for row in "${DONE_ROWS[@]}"; do
    rates=(); ratios=(); scpu=(); pcpu=(); kcpu=(); tcpu=(); delivered=0; errors=0; timeouts=0; runs=0
    for c in $(seq 1 "$REPEATS"); do
      r=${R[$row:$size:$c]:-}
      [[ -n "$r" ]] || continue
      runs=$((runs + 1)); n=$(field "$r" messages)
      rates+=("$(field "$r" rate)")
      d=${R[direct:$size:$c]:-}
      [[ -n "$d" ]] && ratios+=("$(awk -v a="$(field "$r" rate)" -v b="$(field "$d" rate)" 'BEGIN { if (b > 0) print a / b }')")
      scpu+=("$(per_msg "$(field "$r" load_cpu_s)" "$n")")
      [[ -n "$(field "$r" proxy_cpu_s)" ]] && pcpu+=("$(per_msg "$(field "$r" proxy_cpu_s)" "$n")")
      kcpu+=("$(per_msg "$(field "$r" sink_cpu_s)" "$n")")
      tcpu+=("$(per_msg "$(awk -v a="$(field "$r" load_cpu_s)" -v b="$(field "$r" proxy_cpu_s)" -v c="$(field "$r" sink_cpu_s)" \
                 'BEGIN { print a + b + c }')" "$n")")
      delivered=$((delivered + n)); errors=$((errors + $(field "$r" errors)))
      [[ $(field "$r" timed_out) == true ]] && timeouts=$((timeouts + 1))
    done
    if [[ $runs -eq 0 ]]; then
      printf "| %s | %s | failed (see log) | | | | | | | | | |\n" "$(label "$row")" "$(kb "$size")"
      continue
    fi
    printf "| %s | %s | %s | %s–%s | %s | %s | %s | %s | %s | %s | %s | %s of %s |\n" "$(label "$row")" "$(kb "$size")" \
      "$(fmt "$(printf '%s\n' "${rates[@]}" | median)" 0)" \
      "$(fmt "$(printf '%s\n' "${rates[@]}" | sort -g | head -1)" 0)" "$(fmt "$(printf '%s\n' "${rates[@]}" | sort -g | tail -1)" 0)" \
      "$( [[ ${#ratios[@]} -gt 0 ]] && fmt "$(printf '%s\n' "${ratios[@]}" | median)" 2 || echo -)" \
      "$(fmt "$(printf '%s\n' "${scpu[@]}" | median)" 0)" \
      "$( [[ ${#pcpu[@]} -gt 0 ]] && fmt "$(printf '%s\n' "${pcpu[@]}" | median)" 0 || echo -)" \
      "$(fmt "$(printf '%s\n' "${kcpu[@]}" | median)" 0)" \
      "$(fmt "$(printf '%s\n' "${tcpu[@]}" | median)" 0)" \
      "$delivered" "$errors" "$timeouts" "$runs"
  done
done
echo
echo "Per cycle (msgs/s; ratio to that cycle's direct row):"
echo
printf "| path | size |"; for c in $(seq 1 "$REPEATS"); do printf " cycle %s |" "$c"; done; echo
printf "|---|---:|"; for c in $(seq 1 "$REPEATS"); do printf -- "---:|"; done; echo
for size in "${SIZE_LIST[@]}"; do
  for row in "${DONE_ROWS[@]}"; do
    printf "| %s | %s |" "$(label "$row")" "$(kb "$size")"
    for c in $(seq 1 "$REPEATS"); do
      r=${R[$row:$size:$c]:-}; d=${R[direct:$size:$c]:-}
      if [[ -z "$r" ]]; then printf " - |"; continue; fi
      printf " %s" "$(fmt "$(field "$r" rate)" 0)"
      [[ -n "$d" && $row != direct ]] && printf " (%s)" "$(awk -v a="$(field "$r" rate)" -v b="$(field "$d" rate)" 'BEGIN { printf "%.2f", a / b }')"
      printf " |"
    done
    echo
  done
done
echo
