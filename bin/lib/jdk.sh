# Shared JDK finder for bin/test and bin/sluice. Source it, then: JAVA_HOME="$(sluice_find_jdk)".
# Sluice needs Java >= 21; the machine's default java may be older (17 here).

SLUICE_MIN_JAVA=21

# Prints the major version of the java under the JDK dir $1 (e.g. 25, 17, 8), or nothing. Reads the JDK's
# `release` file when it has one (a JVM start, as `java -version` is, costs a few hundred ms of the launcher's start).
sluice_java_major() {
    local java="$1/bin/java" version="" major line
    [[ -x "$java" ]] || return 1
    if [[ -r "$1/release" ]]; then
        while IFS= read -r line; do
            if [[ "$line" =~ ^JAVA_VERSION=\"([^\"]+)\" ]]; then version="${BASH_REMATCH[1]}"; break; fi
        done <"$1/release"
    fi
    [[ -n "$version" ]] || version="$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
    [[ -n "$version" ]] || return 1
    major="${version%%[.+-]*}"
    if [[ "$major" == "1" ]]; then          # 1.8.0_x style
        major="${version#1.}"
        major="${major%%.*}"
    fi
    [[ "$major" =~ ^[0-9]+$ ]] || return 1
    echo "$major"
}

# Prints a JAVA_HOME with Java >= 21: $JAVA_HOME if it qualifies, else the newest JDK under
# ${1:-/usr/lib/jvm}. Fails with a message on stderr when there is none.
sluice_find_jdk() {
    local jvm_dir="${1:-/usr/lib/jvm}" best="" best_major=0 dir major
    if [[ -n "${JAVA_HOME:-}" ]]; then
        major="$(sluice_java_major "$JAVA_HOME" || true)"
        if [[ -n "$major" && "$major" -ge "$SLUICE_MIN_JAVA" ]]; then
            echo "$JAVA_HOME"
            return 0
        fi
    fi
    for dir in "$jvm_dir"/*/; do
        dir="${dir%/}"
        [[ -d "$dir" ]] || continue
        major="$(sluice_java_major "$dir" || true)"
        [[ -n "$major" ]] || continue
        if [[ "$major" -ge "$SLUICE_MIN_JAVA" && "$major" -gt "$best_major" ]]; then
            best="$dir"
            best_major="$major"
        fi
    done
    if [[ -z "$best" ]]; then
        echo "sluice: no JDK >= $SLUICE_MIN_JAVA found (JAVA_HOME=${JAVA_HOME:-unset}, searched $jvm_dir/*);" \
             "install one (e.g. a Temurin 21+ JDK) or set JAVA_HOME" >&2
        return 1
    fi
    echo "$best"
}
