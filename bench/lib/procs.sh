# Process helpers shared by the bench scripts: source it after setting -euo pipefail.
# Loopback only; every wait is bounded by its SECONDS argument.
# A script keeps every PID it starts in the array STARTED (its exit trap stops them with stop_pid), and may set
# STOP_SECONDS (default 5): how long stop_pid waits after TERM before KILL.

descendants() { # PID -> all live descendant PIDs, one per line (one ps snapshot, walked breadth-first)
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      want[root] = 1
      for (round = 0; round < 16; round++)          # process trees here are at most a few levels deep
        for (p in parent) if ((parent[p] in want) && !(p in want)) want[p] = 1
      for (p in want) if (p != root) print p
    }'
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_listening() { # PORT SECONDS: until something listens on PORT
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    [[ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  return 1
}

wait_for_line() { # FILE PATTERN SECONDS PID: until FILE has PATTERN; fails early when PID exits
  local i
  for i in $(seq 1 $(( $3 * 10 ))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

forget() { # PID: reaped, so the exit trap must not signal it (the number may belong to someone else by then)
  local keep=() p
  for p in ${STARTED[@]+"${STARTED[@]}"}; do [[ $p == "$1" ]] || keep+=("$p"); done
  STARTED=(${keep[@]+"${keep[@]}"})
}

stop_pid() { # PID: one PID we started and what it left behind: TERM, KILL after STOP_SECONDS, reap, forget
  local pid=$1 kids i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; forget "$pid"; return 0; }
  kids=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 $(( ${STOP_SECONDS:-5} * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
  for i in $kids; do kill -KILL "$i" 2>/dev/null || true; done
}
