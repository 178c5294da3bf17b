#!/usr/bin/env bash
# Makes the start-up cache of `sluice mta` (a JDK 25 AOT cache, JEP 483/514): one training run of `sluice mta` with the
# bundled default policy moved to free ports (port 0) in a scratch directory, stopped with SIGTERM once it logs
# "initialization complete"; at its exit the JVM writes the cache (the classes it loaded, linked, with their
# profiles). Run by bin/sluice, detached, when `sluice mta` finds the cache of this build missing:
#   aot-train.sh ROOT JAVA_HOME CACHE [wait]
# ROOT's sluice-cli jar and lib/ are the class path (the cache holds for exactly these files: CACHE's name carries
# their sizes and times). One training at a time per build: a lock on the jar itself (no lock file is made), others
# return at once, or with `wait` wait for it (up to 10 minutes). Nothing is written into ROOT but CACHE, renamed into
# place whole (a JVM starting meanwhile maps the old file or none), and other builds' caches beside it are removed.
# Exit status 0 when CACHE exists at the end.
set -uo pipefail
root=$1 java_home=$2 cache=$3 mode=${4:-}
jar=$root/sluice-cli/target/sluice-cli.jar
java=$java_home/bin/java
cp="$jar:$root/sluice-cli/target/lib/*"
say() { if [ "$mode" = wait ]; then echo "sluice: $*" >&2; fi; }

[ -s "$jar" ] || exit 1
exec 8<"$jar" || exit 1
if ! flock -n 8; then
  [ "$mode" = wait ] || exit 0 # another training of this build is under way
  say "waiting for the start-up cache another sluice is making..."
  flock -w 600 8 || exit 1
fi
[ -s "$cache" ] && exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-aot.XXXXXX") || exit 1
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$work" "$cache.tmp.$$"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

say "making the start-up cache for this build (once, about 10 s; SLUICE_CDS=0 goes without)..."
# the options of `sluice mta` (bin/sluice): the cache holds only for the same native access and object headers
opts=(--enable-native-access=ALL-UNNAMED -Xmx640m -XX:+UseCompactObjectHeaders)
"$java" "${opts[@]}" -cp "$cp" dev.sluice.cli.Main mta --print-default-policy --data-dir "$work/data" \
  | sed -e 's/127\.0\.0\.1:[0-9][0-9]*/127.0.0.1:0/g' >"$work/policy.lua" || exit 1
grep -q '127\.0\.0\.1:0' "$work/policy.lua" || exit 1 # no listener address to move: do not train on fixed ports

(cd "$work" && exec "$java" "${opts[@]}" -XX:AOTCacheOutput="$work/sluice.aot" -cp "$cp" dev.sluice.cli.Main \
  mta --policy "$work/policy.lua" --drain-seconds 1) >"$work/training.log" 2>&1 </dev/null &
pid=$!
ready=""
for _ in $(seq 1 3000); do # up to 5 minutes to start (a loaded machine)
  if grep -q 'initialization complete' "$work/training.log"; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  say "the training run did not start; its log:"; [ "$mode" = wait ] && tail -20 "$work/training.log" >&2
  exit 1
fi
kill -TERM "$pid"
for _ in $(seq 1 6000); do # the JVM writes the cache at its exit: up to 10 minutes
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
wait "$pid" 2>/dev/null
pid=""
if [ ! -s "$work/sluice.aot" ]; then
  say "the training run wrote no cache; its log:"; [ "$mode" = wait ] && tail -20 "$work/training.log" >&2
  exit 1
fi
mkdir -p "$(dirname "$cache")" && cp "$work/sluice.aot" "$cache.tmp.$$" && mv -f "$cache.tmp.$$" "$cache" || exit 1
for old in "$(dirname "$cache")"/sluice-*.aot; do
  [ "$old" = "$cache" ] || rm -f "$old"
done
say "start-up cache made: $cache"
exit 0
