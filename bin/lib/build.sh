# Shared by bin/sluice: builds sluice-cli and the modules it needs with Maven. Source it, then:
#   sluice_build ROOT
# Maven's own output (its warnings, colour codes) goes to ROOT/.build.log; the terminal gets one line per
# module ("sluice: building sluice-net (2/10)"), and on failure Maven's errors and where the full log is.

# Reads Maven's output on stdin; prints a progress line for each "[INFO] Building NAME VERSION [i/n]".
sluice_build_progress() {
    local line name step pattern='^\[INFO\] Building ([^ ]+) [^ ]+ +\[([0-9]+/[0-9]+)\]$'
    while IFS= read -r line; do
        if [[ "$line" =~ $pattern ]]; then
            name="${BASH_REMATCH[1]}"
            step="${BASH_REMATCH[2]}"
            echo "sluice: building $name ($step)" >&2
        fi
    done
}

sluice_build() {
    local root="$1" log="$1/.build.log" status
    set +e
    (cd "$root" && mvn -B -Dstyle.color=never -Djansi.passthrough=false -DskipTests -pl sluice-cli -am package) \
        2>&1 | sed -u $'s/\e\\[[0-9;]*[A-Za-z]//g' | tee "$log" | sluice_build_progress
    status=${PIPESTATUS[0]}
    set -e
    if [[ "$status" -ne 0 ]]; then
        echo "sluice: build failed (exit $status); Maven's errors:" >&2
        grep -E '^\[ERROR\]' "$log" | head -n 30 >&2
        echo "sluice: the whole build log is $log" >&2
        return 1
    fi
    return 0
}
