# Shared by bin/sluice and bin/test: find a JDK >= 21.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK under /usr/lib/jvm.

sluice_java_major() { # $1 = JAVA_HOME candidate; prints its major version or nothing
  local v
  v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1) || return 0
  printf '%s' "$v"
}

sluice_find_jdk() {
  local best="" best_major=0 cand major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(sluice_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then printf '%s\n' "$JAVA_HOME"; return 0; fi
  fi
  for cand in /usr/lib/jvm/*; do
    [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] && [ ! -L "$cand" ] || continue
    major=$(sluice_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best=$cand best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "sluice: no JDK >= 21 found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  printf '%s\n' "$best"
}
