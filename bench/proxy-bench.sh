#!/usr/bin/env bash
# proxy-bench.sh — SOCKS5 proxies side by side with one load tool (bench module, dev.sluice.bench.BenchMain).
#
# Runs, one after another on loopback: a direct connection (the ceiling), `sluice proxy`, microsocks and dante.
# For each: bulk GB/s through 1 and 8 streams, new sessions/s with 64 clients (handshake, CONNECT, banner, close)
# with p50/p99 handshake latency, proxy CPU per GB and per session, and summed PSS while holding 3,000 relayed
# sessions. `sluice proxy` also gets a BIND+CONNECT row (KumoMTA convention, sources 127.0.0.2-9).
# Prints markdown tables on stdout; progress goes to stderr.
#
# Environment (all optional):
#   BULK_SECONDS=5 SESSION_SECONDS=5 SESSION_CLIENTS=64 HOLD_SESSIONS=3000 HOLD_SECONDS=2 LATENCY_SECONDS=2
#   PROXIES="direct sluice microsocks dante"   which rows to run, in order
#   SLUICE_PROXY_CMD="bin/sluice proxy --listen 127.0.0.1:PORT --allow-destination 127.0.0.0/8"   PORT is replaced;
#                                     run from the repo root (the targets are on loopback, refused unless allowed)
#   JAVA_HOME (JDK >= 21; else the newest under /usr/lib/jvm)   KEEP_WORK=1 keeps logs in the work directory
#
# CPU-per-session mode (CPU_SESSIONS set): instead of the tables above, only proxy CPU (utime+stime from /proc) per
# session over a bounded count, which a loaded machine disturbs much less than wall-clock rates. For each round
# (CPU_ROUNDS=3) every subject of PROXIES is started fresh, warmed up (CPU_WARMUP=3000 sessions), then measured over
# CPU_SESSIONS sessions with CPU_CLIENTS=16 clients (connect, greeting, CONNECT, banner relayed, target hangs up).
# Subjects are interleaved per round, so load drift hits them alike. Besides sluice/microsocks/dante, a subject
# sluice-NAME runs the command in SLUICE_PROXY_CMD_NAME (PORT replaced), to compare two builds in one run:
#   CPU_SESSIONS=20000 PROXIES="microsocks sluice-before sluice-after" \
#     SLUICE_PROXY_CMD_before="java -cp '/tmp/before/*' ... proxy --listen 127.0.0.1:PORT ..." bash bench/proxy-bench.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/procs.sh
. "$ROOT/bench/lib/procs.sh"   # descendants, free_port, wait_listening, wait_for_line, stop_pid
BULK_SECONDS=${BULK_SECONDS:-5}
SESSION_SECONDS=${SESSION_SECONDS:-5}
SESSION_CLIENTS=${SESSION_CLIENTS:-64}
HOLD_SESSIONS=${HOLD_SESSIONS:-3000}
HOLD_SECONDS=${HOLD_SECONDS:-2}
LATENCY_SECONDS=${LATENCY_SECONDS:-2}
PROXIES=${PROXIES:-"direct sluice microsocks dante"}
SLUICE_PROXY_CMD_DEFAULT="bin/sluice proxy --listen 127.0.0.1:PORT --allow-destination 127.0.0.0/8"
SLUICE_PROXY_CMD=${SLUICE_PROXY_CMD:-}
FD_LIMIT=20000
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/proxy-bench.XXXXXX)
STARTED=()   # every PID this script started, stopped on exit

log() { printf '[proxy-bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- processes

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_ticks() { # PID -> utime+stime+cutime+cstime summed over the process and its live descendants
  local pid=$1 p total=0 t
  for p in "$pid" $(descendants "$pid"); do
    # fields after "pid (comm) ": 1=state ... 12=utime 13=stime 14=cutime 15=cstime
    t=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12+$13+$14+$15}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

pss_kb() { # PID -> summed PSS (kB) of the process and its descendants (dante forks)
  local pid=$1 p total=0 k
  for p in "$pid" $(descendants "$pid"); do
    k=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null) || k=0
    total=$((total + ${k:-0}))
  done
  echo "$total"
}

nprocs() { local pid=$1; echo $(( 1 + $(descendants "$pid" | wc -l) )); }




# ---------------------------------------------------------------- java + build
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'; }

find_java() {
  local best="" best_major=0 j m
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    m=$(java_major "$JAVA_HOME/bin/java")
    if [[ "${m%%.*}" -ge 21 ]]; then echo "$JAVA_HOME"; return; fi
    log "JAVA_HOME=$JAVA_HOME is Java $m (< 21); looking under /usr/lib/jvm"
  fi
  for j in /usr/lib/jvm/*/bin/java; do
    [[ -x "$j" ]] || continue
    m=$(java_major "$j"); m=${m%%.*}
    if [[ "${m:-0}" -ge 21 && "$m" -gt "$best_major" ]]; then best_major=$m; best=${j%/bin/java}; fi
  done
  [[ -n "$best" ]] || die "no JDK >= 21 (set JAVA_HOME)"
  echo "$best"
}

JAVA_HOME=$(find_java); export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
JAR="$ROOT/bench/target/sluice-bench.jar"
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/bench/src" "$ROOT/bench/pom.xml" -newer "$JAR" -print -quit)" ]]; then
  log "building the bench module"
  (cd "$ROOT" && mvn -q -B -o -pl bench -am package -DskipTests) >&2 || die "bench build failed"
fi
JOPTS=(-XX:+UseSerialGC -Xms128m -Xmx1g)
CP="$JAR"

ulimit -n "$FD_LIMIT" 2>/dev/null || log "warning: cannot raise open files to $FD_LIMIT (now $(ulimit -n))"

bench() { "$JAVA" "${JOPTS[@]}" -cp "$CP" dev.sluice.bench.BenchMain "$@"; }

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# ---------------------------------------------------------------- target
"$JAVA" "${JOPTS[@]}" -cp "$CP" dev.sluice.bench.BenchMain target --lifetime 3600 \
  >"$WORK/target.out" 2>"$WORK/target.err" &
TARGET_PID=$!; STARTED+=("$TARGET_PID")
wait_for_line "$WORK/target.out" '^TARGET' 20 "$TARGET_PID" || die "target server did not start: $(cat "$WORK/target.err")"
BULK_TARGET=$(sed -n 's/.*bulk=\([^ ]*\).*/\1/p' "$WORK/target.out")
BANNER_TARGET=$(sed -n 's/.*banner=\([^ ]*\).*/\1/p' "$WORK/target.out")
HOLD_TARGET=$(sed -n 's/.*hold=\([^ ]*\).*/\1/p' "$WORK/target.out")
log "target: bulk $BULK_TARGET, banner $BANNER_TARGET, hold $HOLD_TARGET (pid $TARGET_PID)"

# ---------------------------------------------------------------- proxies
PROXY_PID=""; PROXY_ADDR=""

start_microsocks() {
  command -v microsocks >/dev/null || { log "microsocks not installed: skipping"; return 1; }
  local port; port=$(free_port)
  # microsocks logs every connection; to /dev/null so the row does not pay for a log file
  microsocks -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  PROXY_PID=$!; STARTED+=("$PROXY_PID"); PROXY_ADDR="127.0.0.1:$port"
  wait_listening "$port" 10
}

start_dante() {
  command -v danted >/dev/null || { log "danted not installed: skipping"; return 1; }
  local port; port=$(free_port)
  # like shared/reference/test-peers-files/danted.conf, on a free port, logging errors only (no per-session lines)
  cat >"$WORK/danted.conf" <<EOF
logoutput: stderr
internal: 127.0.0.1 port = $port
external: lo
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
    log: error
}
socks pass {
    from: 0/0 to: 127.0.0.0/8
    command: connect
    log: error
}
socks block {
    from: 0/0 to: 0/0
    log: error
}
EOF
  danted -f "$WORK/danted.conf" >"$WORK/danted.log" 2>&1 &
  PROXY_PID=$!; STARTED+=("$PROXY_PID"); PROXY_ADDR="127.0.0.1:$port"
  wait_listening "$port" 10
}

start_sluice() { # [COMMAND]: SLUICE_PROXY_CMD (or bin/sluice) unless given
  local cmd=${1:-$SLUICE_PROXY_CMD} port
  if [[ -z "$cmd" ]]; then
    if [[ ! -x "$ROOT/bin/sluice" ]]; then
      log "bin/sluice not found in $ROOT and SLUICE_PROXY_CMD not set: skipping the sluice rows"
      return 1
    fi
    cmd=$SLUICE_PROXY_CMD_DEFAULT
  fi
  port=$(free_port)
  cmd=${cmd//PORT/$port}
  log "starting: $cmd"
  (cd "$ROOT" && ulimit -n "$FD_LIMIT" 2>/dev/null; exec bash -c "exec $cmd") >"$WORK/sluice.log" 2>&1 &
  PROXY_PID=$!; STARTED+=("$PROXY_PID"); PROXY_ADDR="127.0.0.1:$port"
  if ! wait_for_line "$WORK/sluice.log" 'proxy listener on' 60 "$PROXY_PID"; then
    log "sluice proxy did not log 'proxy listener on' within 60 s; its output:"; tail -20 "$WORK/sluice.log" >&2
    return 1
  fi
  wait_listening "$port" 10
}

# ---------------------------------------------------------------- measuring
# Results per row, keyed "row:metric".
declare -A R
ROWS=()

phase() { # ROW KEY -- bench args...   runs one load phase, records RESULT fields and proxy CPU-seconds
  local row=$1 key=$2; shift 3
  local c0=0 c1=0 t0 t1 out
  [[ -n "$PROXY_PID" ]] && c0=$(cpu_ticks "$PROXY_PID")
  t0=$(cpu_ticks "$TARGET_PID")
  out=$(bench "$@" 2>>"$WORK/client.err" | grep '^RESULT' | tail -1) || true
  t1=$(cpu_ticks "$TARGET_PID")
  [[ -n "$PROXY_PID" ]] && c1=$(cpu_ticks "$PROXY_PID")
  if [[ -z "$out" ]]; then log "$row $key: no result (see client errors below)"; tail -3 "$WORK/client.err" >&2; return 0; fi
  R[$row:$key]=$out
  R[$row:$key:tcpu]=$(awk -v d=$((t1 - t0)) -v t="$CLK_TCK" 'BEGIN {printf "%.2f", d / t}')
  if [[ -n "$PROXY_PID" ]]; then
    R[$row:$key:cpu]=$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" 'BEGIN {printf "%.2f", d / t}')
  else
    R[$row:$key:cpu]=""
  fi
  log "$row $key: ${out#RESULT } proxy_cpu_s=${R[$row:$key:cpu]:--} target_cpu_s=${R[$row:$key:tcpu]}"
}

hold_phase() { # ROW -- bench args...   PSS before and while holding sessions
  local row=$1; shift 2
  local out="$WORK/hold.$row.out" pid idle held
  idle=$(pss_kb "$PROXY_PID")
  "$JAVA" "${JOPTS[@]}" -cp "$CP" dev.sluice.bench.BenchMain "$@" >"$out" 2>>"$WORK/client.err" &
  pid=$!; STARTED+=("$pid")
  if wait_for_line "$out" '^HOLDING' 150 "$pid"; then
    sleep 0.5   # let the proxy finish its side of the last sessions
    held=$(pss_kb "$PROXY_PID")
    R[$row:procs]=$(nprocs "$PROXY_PID")
  fi
  wait "$pid" 2>/dev/null || true
  R[$row:hold]=$(grep '^RESULT' "$out" | tail -1 || true)
  R[$row:pss_idle]=$idle
  R[$row:pss_held]=${held:-}
  log "$row hold: ${R[$row:hold]#RESULT } pss_idle_kb=$idle pss_held_kb=${held:-?} processes=${R[$row:procs]:-?}"
}

measure() { # ROW MODE
  local row=$1 mode=$2 p=()
  [[ -n "$PROXY_ADDR" ]] && p=(--proxy "$PROXY_ADDR")
  ROWS+=("$row")
  # Memory first, on a freshly started proxy: a JVM heap grown by the bulk phases would otherwise hide the cost.
  if [[ -n "$PROXY_PID" ]]; then
    hold_phase "$row" -- hold --mode "$mode" "${p[@]}" --target "$HOLD_TARGET" \
        --sessions "$HOLD_SESSIONS" --hold-seconds "$HOLD_SECONDS"
  fi
  phase "$row" bulk1 -- bulk --mode "$mode" "${p[@]}" --target "$BULK_TARGET" --streams 1 --seconds "$BULK_SECONDS"
  phase "$row" bulk8 -- bulk --mode "$mode" "${p[@]}" --target "$BULK_TARGET" --streams 8 --seconds "$BULK_SECONDS"
  phase "$row" sess -- sessions --mode "$mode" "${p[@]}" --target "$BANNER_TARGET" \
        --clients "$SESSION_CLIENTS" --seconds "$SESSION_SECONDS"
  phase "$row" lat -- sessions --mode "$mode" "${p[@]}" --target "$BANNER_TARGET" \
        --clients 1 --seconds "$LATENCY_SECONDS"
}

stop_proxy() {
  [[ -n "$PROXY_PID" ]] && stop_pid "$PROXY_PID"
  PROXY_PID=""; PROXY_ADDR=""
}

# ---------------------------------------------------------------- report helpers
or0() { echo "${1:-0}"; }
num() { [[ -n "${1:-}" && "$1" != "NaN" ]] && printf "%.${2}f" "$1" || printf -- "-"; }
div() { awk -v a="${1:-}" -v b="${2:-}" -v s="${3:-1}" -v p="${4:-2}" \
        'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.*f", p, a * s / b }'; }
label() {
  case $1 in
    direct) echo "direct (no proxy)" ;; sluice) echo "sluice proxy" ;; sluice-bind) echo "sluice proxy BIND+CONNECT" ;;
    *) echo "$1" ;;
  esac
}

# ---------------------------------------------------------------- CPU per session mode
start_subject() { # SUBJECT: starts it (PROXY_PID, PROXY_ADDR); fails when it cannot run here
  case $1 in
    microsocks) start_microsocks ;;
    dante) start_dante ;;
    sluice) start_sluice ;;
    sluice-*)
      local var="SLUICE_PROXY_CMD_${1#sluice-}"
      [[ -n "${!var:-}" ]] || die "subject $1 needs $var"
      start_sluice "${!var}" ;;
    *) die "unknown subject '$1' for CPU_SESSIONS (direct has no proxy to measure)" ;;
  esac
}

cpu_mode() {
  local rounds=${CPU_ROUNDS:-3} warm=${CPU_WARMUP:-3000} clients=${CPU_CLIENTS:-16} n=$CPU_SESSIONS
  local round subject c0 c1 out done errs us
  declare -A US
  for round in $(seq 1 "$rounds"); do
    for subject in $PROXIES; do
      [[ $subject == direct ]] && continue
      if ! start_subject "$subject"; then log "$subject did not start"; stop_proxy; continue; fi
      bench sessions --mode connect --proxy "$PROXY_ADDR" --target "$BANNER_TARGET" --clients "$clients" \
          --seconds 600 --max "$warm" >/dev/null 2>>"$WORK/client.err" || true
      sleep 0.3   # the proxy's side of the last warm-up sessions
      c0=$(cpu_ticks "$PROXY_PID")
      out=$(bench sessions --mode connect --proxy "$PROXY_ADDR" --target "$BANNER_TARGET" --clients "$clients" \
          --seconds 600 --max "$n" 2>>"$WORK/client.err" | grep '^RESULT' | tail -1) || true
      sleep 0.3
      c1=$(cpu_ticks "$PROXY_PID")
      stop_proxy
      done=$(field "$out" sessions); errs=$(field "$out" errors)
      us=$(div $((c1 - c0)) "${done:-0}" "$(awk -v t="$CLK_TCK" 'BEGIN {print 1e6 / t}')" 1)
      US[$subject]="${US[$subject]:-}${US[$subject]:+ }$us"
      log "round $round $subject: sessions=${done:-0} errors=${errs:-?} proxy_cpu_ticks=$((c1 - c0)) us_per_session=$us"
    done
  done
  echo
  echo "### Proxy CPU per SOCKS5 session ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "Per round: each proxy started fresh, $warm warm-up sessions, then $n measured sessions with $clients clients"
  echo "(connect, greeting, CONNECT, banner relayed, target hangs up, close); proxy utime+stime from /proc over the measured ones."
  echo
  echo "| proxy | µs CPU per session, median | rounds |"
  echo "|---|---:|---|"
  for subject in $PROXIES; do
    [[ -n "${US[$subject]:-}" ]] || continue
    printf "| %s | %s | %s |\n" "$(label "$subject")" \
      "$(tr ' ' '\n' <<<"${US[$subject]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')" \
      "${US[$subject]}"
  done
}

if [[ -n "${CPU_SESSIONS:-}" ]]; then
  cpu_mode
  exit 0
fi

for subject in $PROXIES; do
  case $subject in
    direct)
      log "== direct (no proxy)"; measure direct direct ;;
    microsocks)
      log "== microsocks"; if start_microsocks; then measure microsocks connect; fi; stop_proxy ;;
    dante)
      log "== dante"; if start_dante; then measure dante connect; fi; stop_proxy ;;
    sluice)
      log "== sluice proxy"
      if start_sluice; then
        measure sluice connect
        ROWS+=("sluice-bind")
        phase sluice-bind sess -- sessions --mode bind-connect --proxy "$PROXY_ADDR" --target "$BANNER_TARGET" \
              --sources 127.0.0.2-9 --clients "$SESSION_CLIENTS" --seconds "$SESSION_SECONDS"
        phase sluice-bind lat -- sessions --mode bind-connect --proxy "$PROXY_ADDR" --target "$BANNER_TARGET" \
              --sources 127.0.0.2-9 --clients 1 --seconds "$LATENCY_SECONDS"
      fi
      stop_proxy ;;
    *) die "unknown proxy '$subject' in PROXIES" ;;
  esac
done

# ---------------------------------------------------------------- report

echo
echo "### SOCKS5 proxies on loopback ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), load tool on $("$JAVA" -version 2>&1 | head -1 | tr -d '"'))"
echo
echo "Bulk: ${BULK_SECONDS}s per stream count, data flowing target → client through the proxy. Sessions: ${SESSION_SECONDS}s with"
echo "${SESSION_CLIENTS} clients, each looping connect, SOCKS5 greeting, CONNECT, read a banner, target hangs up, close."
echo "Handshake latency = TCP connect until the CONNECT reply (direct row: TCP connect only), once under that load and once"
echo "with a single client (${LATENCY_SECONDS}s). CPU-s are per phase (1 stream / 8 streams / sessions); the load tool is the client"
echo "JVM plus the target-server JVM (client+target). All on $(nproc) shared CPUs."
echo
echo "| row | 1 stream GB/s | 8 streams GB/s | sessions/s | handshake p50 / p99 ms (${SESSION_CLIENTS} clients) | p50 / p99 ms (1 client) | proxy CPU-s per GB | proxy CPU µs per session | proxy CPU-s (1 / 8 / sess) | load tool CPU-s client+target (1 / 8 / sess) | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  b1=${R[$row:bulk1]:-}; b8=${R[$row:bulk8]:-}; s=${R[$row:sess]:-}; l=${R[$row:lat]:-}
  gb=$(awk -v a="$(field "$b1" bytes)" -v b="$(field "$b8" bytes)" 'BEGIN {print (a + b) / 1e9}')
  pc=$(awk -v a="${R[$row:bulk1:cpu]:-}" -v b="${R[$row:bulk8:cpu]:-}" 'BEGIN {if (a == "" && b == "") print ""; else print a + b}')
  errs=$(( $(or0 "$(field "$b1" errors)") + $(or0 "$(field "$b8" errors)") + $(or0 "$(field "$s" errors)") + $(or0 "$(field "$l" errors)") ))
  load() { [[ -n "$1" ]] && printf "%s+%s" "$(num "$(field "$1" load_cpu_s)" 2)" "${2:--}" || printf -- "-"; }
  printf "| %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s |\n" "$(label "$row")" \
    "$(num "$(field "$b1" gbps)" 2)" "$(num "$(field "$b8" gbps)" 2)" "$(num "$(field "$s" rate)" 0)" \
    "$(num "$(field "$s" p50_ms)" 2)" "$(num "$(field "$s" p99_ms)" 2)" \
    "$(num "$(field "$l" p50_ms)" 2)" "$(num "$(field "$l" p99_ms)" 2)" \
    "$( [[ -n "$b1$b8" ]] && div "$pc" "$gb" 1 2 || echo -)" "$(div "${R[$row:sess:cpu]:-}" "$(field "$s" sessions)" 1e6 1)" \
    "${R[$row:bulk1:cpu]:--} / ${R[$row:bulk8:cpu]:--} / ${R[$row:sess:cpu]:--}" \
    "$(load "$b1" "${R[$row:bulk1:tcpu]:-}") / $(load "$b8" "${R[$row:bulk8:tcpu]:-}") / $(load "$s" "${R[$row:sess:tcpu]:-}")" \
    "$errs"
done

if [[ -n "${R[direct:bulk1]:-}" ]]; then
  echo
  echo "Ratio to the direct connection (1.00 = as fast as no proxy):"
  echo
  echo "| row | 1 stream | 8 streams | sessions/s |"
  echo "|---|---:|---:|---:|"
  for row in "${ROWS[@]}"; do
    [[ $row == direct ]] && continue
    printf "| %s | %s | %s | %s |\n" "$(label "$row")" \
      "$(div "$(field "${R[$row:bulk1]:-}" gbps)" "$(field "${R[direct:bulk1]}" gbps)")" \
      "$(div "$(field "${R[$row:bulk8]:-}" gbps)" "$(field "${R[direct:bulk8]:-}" gbps)")" \
      "$(div "$(field "${R[$row:sess]:-}" rate)" "$(field "${R[direct:sess]:-}" rate)")"
  done
fi

echo
echo "Memory: summed PSS of the proxy's processes, freshly started (idle) and while holding ${HOLD_SESSIONS} relayed sessions"
echo "(measured before the load phases above):"
echo
echo "| proxy | processes | sessions held | PSS idle MiB | PSS holding MiB | KiB per session (holding / n) | KiB per session added ((holding − idle) / n) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  [[ -n "${R[$row:pss_idle]:-}" ]] || continue
  h=${R[$row:hold]:-}; held=$(field "$h" held)
  printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$(label "$row")" "${R[$row:procs]:--}" "${held:--}" \
    "$(div "${R[$row:pss_idle]}" 1024 1 1)" "$(div "${R[$row:pss_held]:-}" 1024 1 1)" \
    "$(div "${R[$row:pss_held]:-}" "${held:-0}" 1 1)" \
    "$(awk -v i="${R[$row:pss_idle]}" -v h="${R[$row:pss_held]:-}" -v n="${held:-0}" \
        'BEGIN { if (h == "" || n == 0) print "-"; else printf "%.1f", (h - i) / n }')"
done
echo
