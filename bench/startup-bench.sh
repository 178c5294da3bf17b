#!/usr/bin/env bash
# startup-bench.sh — issue 12's "start-up ready at once": how long `bin/sluice mta` takes from the launcher's start
# until its ESMTP listener answers 220, on an empty spool, with the bundled default policy (moved to free ports).
#
# For each row and each of RUNS runs: a fresh scratch directory, `bin/sluice mta --policy P` where P is
# `sluice mta --print-default-policy --data-dir DIR` with 127.0.0.1:2525 and :8000 replaced by free ports; the script
# connects every 20 ms until the listener sends "220", then reads the process's CPU time (user + system, its waited-for
# children included: the launcher's own `java -version` and the like) and stops it. Wall seconds are from just before
# the launcher starts to the 220. One run per row first warms the page cache (and lets the launcher make its class
# data archive first, in the foreground: SLUICE_CDS=wait) and is not counted. Prints one line per run and a table of medians.
#
# Rows (ROWS, default "default nocds"):
#   default   the launcher as it is (its class data sharing archive on)
#   nocds     SLUICE_CDS=0: no archive
#   baseline  BASELINE_ROOT's bin/sluice (another checkout, e.g. the commit before a change), launcher as it is
# Environment (all optional): RUNS=5  ROWS  BASELINE_ROOT  SLUICE_ROOT=<checkout whose bin/sluice runs> (default:
#   this one)  WORK_PARENT=/tmp  MAX_SECONDS=120 (bound of each wait for the 220)  JAVA_OPTS (passed on)
# The build is not checked (SLUICE_NO_BUILD=1): build first (`bin/sluice version` builds when sources changed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/procs.sh" # free_port, stop_pid
SLUICE_ROOT=${SLUICE_ROOT:-$ROOT}
ROWS=${ROWS:-"default nocds"}
RUNS=${RUNS:-5}
MAX_SECONDS=${MAX_SECONDS:-120}
WORK_PARENT=${WORK_PARENT:-/tmp}
WORK=$(mktemp -d "$WORK_PARENT/startup-bench.XXXXXX")
STARTED=()
STOP_SECONDS=30
export SLUICE_NO_BUILD=1

log() { printf '[startup-bench] %(%H:%M:%S)T %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() {
  local pid
  for pid in ${STARTED[@]+"${STARTED[@]}"}; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }

cpu_seconds() { # PID: utime + stime + cutime + cstime, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13 + $14 + $15) / hz }' "/proc/$1/stat"
}

greets() { # PORT: one connection; true when it sends 220 first
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  IFS= read -r -t 5 -n 3 reply <&3 || true
  exec 3<&- 3>&-
  [[ $reply == 220 ]]
}

# one_run ROOT ENV... : prints "WALL CPU" for one start, or fails
one_run() {
  local root=$1; shift
  local dir smtp http pid start wall cpu deadline
  dir=$(mktemp -d "$WORK/run.XXXXXX")
  smtp=$(free_port); http=$(free_port)
  [[ $smtp != "$http" ]] || http=$(free_port)
  env "$@" "$root/bin/sluice" mta --print-default-policy --data-dir "$dir/data" \
    | sed -e "s/127\.0\.0\.1:2525/127.0.0.1:$smtp/g" -e "s/127\.0\.0\.1:8000/127.0.0.1:$http/g" >"$dir/policy.lua"
  grep -q "127.0.0.1:$smtp" "$dir/policy.lua" || die "the default policy has no 127.0.0.1:2525 to move"
  if grep -q '127\.0\.0\.1:\(2525\|8000\)' "$dir/policy.lua"; then die "the default policy still names 2525 or 8000"; fi
  start=$(now)
  (cd "$dir" && exec env "$@" "$root/bin/sluice" mta --policy "$dir/policy.lua" >"$dir/out.log" 2>&1) &
  pid=$!
  STARTED+=("$pid")
  deadline=$(( $(date +%s) + MAX_SECONDS ))
  until greets "$smtp"; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/out.log" >&2; die "sluice mta exited before its 220"; }
    (( $(date +%s) <= deadline )) || { tail -20 "$dir/out.log" >&2; die "no 220 within $MAX_SECONDS s"; }
    sleep 0.02
  done
  wall=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
  cpu=$(cpu_seconds "$pid")
  stop_pid "$pid"
  rm -rf "$dir"
  echo "$wall $cpu"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A WALLS CPUS
for row in $ROWS; do
  case $row in
    default) root=$SLUICE_ROOT; envs=(SLUICE_NO_BUILD=1) ;;
    nocds) root=$SLUICE_ROOT; envs=(SLUICE_CDS=0) ;;
    baseline) [[ -n "${BASELINE_ROOT:-}" ]] || die "row baseline needs BASELINE_ROOT"; root=$BASELINE_ROOT; envs=(SLUICE_NO_BUILD=1) ;;
    *) die "unknown row $row (default, nocds, baseline)" ;;
  esac
  [[ -f "$root/sluice-cli/target/sluice-cli.jar" ]] || die "$root is not built (no sluice-cli/target/sluice-cli.jar)"
  log "$row: warm-up run ($root)"
  # SLUICE_CDS=wait: a build without its start-up cache makes it now, not in the background during the runs
  if [[ $row == nocds ]]; then one_run "$root" "${envs[@]}" >/dev/null; else one_run "$root" "${envs[@]}" SLUICE_CDS=wait >/dev/null; fi
  walls=() cpus=()
  for i in $(seq 1 "$RUNS"); do
    read -r wall cpu < <(one_run "$root" "${envs[@]}")
    log "$row run $i: 220 after $wall s wall, $cpu CPU s (load $(cut -d' ' -f1 /proc/loadavg))"
    walls+=("$wall") cpus+=("$cpu")
  done
  WALLS[$row]=$(printf '%s\n' "${walls[@]}" | median)
  CPUS[$row]=$(printf '%s\n' "${cpus[@]}" | median)
  WALLS[$row]="${WALLS[$row]} (${walls[*]})"
  CPUS[$row]="${CPUS[$row]} (${cpus[*]})"
done

echo
echo "| row | runs | wall s to the 220, median (each) | CPU s to the 220, median (each) |"
echo "|---|---:|---|---|"
for row in $ROWS; do
  echo "| $row | $RUNS | ${WALLS[$row]} | ${CPUS[$row]} |"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
