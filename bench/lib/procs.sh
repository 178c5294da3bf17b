# Process helpers shared by the bench scripts: source it after setting -euo pipefail.
# Loopback only; every wait is bounded by its SECONDS argument.

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
