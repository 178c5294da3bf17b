#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with Jazzer (the @FuzzTest classes listed in TARGETS).
#
#   bench/fuzz.sh                     every target, 10^7 executions each (RUNS), figures at the end
#   bench/fuzz.sh --runs 100000 ProxyHeaderFuzzTest SmtpFramerFuzzTest
#   bench/fuzz.sh --seconds 600       at most 10 minutes per target (stops at 10^7 executions or then;
#                                     --runs -1 for no execution limit)
#   bench/fuzz.sh --quick             what bin/test runs: every target for QUICK_SECONDS (default 3),
#                                     one mvn run, one JVM per target (Jazzer fuzzes one test per JVM), two at once
#
# In `mvn test` the same classes only replay their corpus (src/test/resources/<package>/<Class>Inputs/<method>/)
# without Jazzer's agent. A finding makes mvn fail; Jazzer writes the input as crash-<sha1> into that corpus
# directory, where the next `mvn test` replays it: fix the parser, keep the input (renamed to say what it is).
# Inputs the fuzzer found interesting go to <module>/.cifuzz-corpus/ (not committed) and seed later runs.
# Per target the log is target/fuzz/<Class>.log; the summary (execs, seconds, execs/s, result) is printed and
# written to target/fuzz/summary.txt. Run it with `nice -n 10` on a shared machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../bin/lib/jdk.sh
source "$ROOT/bin/lib/jdk.sh"

# module:class (each class has exactly one @FuzzTest method)
TARGETS=(
    sluice-proxy:dev.sluice.proxy.Socks5GreetingFuzzTest
    sluice-proxy:dev.sluice.proxy.Rfc1929RequestFuzzTest
    sluice-proxy:dev.sluice.proxy.Socks5CommandRequestFuzzTest
    sluice-egress:dev.sluice.egress.connect.Socks5ReplyFuzzTest
    sluice-egress:dev.sluice.egress.smtp.SmtpReplyDecoderFuzzTest
    sluice-egress:dev.sluice.egress.smtp.EhloCapabilitiesFuzzTest
    sluice-mta:dev.sluice.mta.ingress.smtp.ProxyHeaderFuzzTest
    sluice-mta:dev.sluice.mta.ingress.smtp.SmtpFramerFuzzTest
    sluice-mta:dev.sluice.mta.ingress.smtp.SmtpSessionFuzzTest
    sluice-mta:dev.sluice.mta.ingress.http.InjectRequestFuzzTest
    sluice-mta:dev.sluice.mta.ingress.http.MimeBuilderFuzzTest
    sluice-policy:dev.sluice.policy.egress.ConfigTableFuzzTest
)

RUNS=10000000
SECONDS_EACH=0   # 0: no time limit
QUICK=0
QUICK_SECONDS="${QUICK_SECONDS:-3}"
SELECTED=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --seconds) SECONDS_EACH="$2"; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) SELECTED+=("$1"); shift ;;
    esac
done

JAVA_HOME="$(sluice_find_jdk)"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
cd "$ROOT"
OUT="$ROOT/target/fuzz"
mkdir -p "$OUT"

# Jazzer's fuzzing mode: JAZZER_FUZZ set, its agent on; libFuzzer flags as JUnit configuration parameters
# (jazzer.internal.arg.N, the later ones win over the @FuzzTest annotation's maxDuration).
# The heap is capped: libFuzzer's inputs are at most 4 KiB, and the machine is shared.
fuzz_flags() { # SECONDS RUNS -> FLAGS
    FLAGS=(-Djazzer.hooks=true -Djazzer.internal.arg.0=fuzz "-Djazzer.internal.arg.1=-max_total_time=$1"
           "-Djazzer.internal.arg.2=-runs=$2" -Djazzer.internal.arg.3=-print_final_stats=1
           "-Dsurefire.argLine=--enable-native-access=ALL-UNNAMED -XX:+EnableDynamicAgentLoading -Xmx512m")
}

if [[ $QUICK -eq 1 ]]; then
    # One reactor run; surefire forks a fresh JVM per test class (reuseForks=false), so each target fuzzes.
    modules=$(printf '%s\n' "${TARGETS[@]}" | cut -d: -f1 | sort -u | paste -sd,)
    echo "bench/fuzz.sh: fuzzing ${#TARGETS[@]} targets for ${QUICK_SECONDS}s each" >&2
    fuzz_flags "$QUICK_SECONDS" -1
    # maven.test.failure.ignore: a finding in one module must not skip the modules that depend on it.
    # Two targets fuzz at once (forkCount=2): a target's JVM spends more time starting with Jazzer's agent than
    # fuzzing. No incremental recompilation: bin/test has just compiled every module (see bin/test).
    JAZZER_FUZZ=1 mvn -B test -pl "$modules" -am -Dgroups=jazzer -DreuseForks=false -DforkCount=2 \
        -Dmaven.compiler.useIncrementalCompilation=false -Dmaven.test.failure.ignore=true -Dsurefire.failIfNoSpecifiedTests=false "${FLAGS[@]}" \
        >"$OUT/quick.log" 2>&1 || { tail -40 "$OUT/quick.log"; echo "bench/fuzz.sh: mvn failed" >&2; exit 1; }
    if grep -qE 'FuzzTestFinding|Tests run: .*(Failures: [1-9]|Errors: [1-9])' "$OUT/quick.log"; then
        grep -E 'Tests run: .*(Failures: [1-9]|Errors: [1-9]).* -- in |FuzzTestFinding' "$OUT/quick.log" >&2
        echo "bench/fuzz.sh: findings; the inputs are in src/test/resources/**/*Inputs/, log $OUT/quick.log" >&2
        exit 1
    fi
    echo "bench/fuzz.sh: no findings" >&2
    exit 0
fi

summary="$OUT/summary.txt"
printf '%-28s %12s %8s %10s  %s\n' target execs seconds execs/s result | tee "$summary"
status=0
for entry in "${TARGETS[@]}"; do
    module="${entry%%:*}" class="${entry#*:}" name="${entry##*.}"
    if [[ ${#SELECTED[@]} -gt 0 ]] && ! printf '%s\n' "${SELECTED[@]}" | grep -qx "$name"; then
        continue
    fi
    log="$OUT/$name.log"
    start=$(date +%s)
    result=ok
    fuzz_flags "$SECONDS_EACH" "$RUNS"
    JAZZER_FUZZ=1 mvn -B test -pl "$module" -am "-Dtest=$class" -Dsurefire.failIfNoSpecifiedTests=false \
        -Dsurefire.redirectTestOutputToFile=false "${FLAGS[@]}" >"$log" 2>&1 || result=FINDING
    [[ $result == ok ]] || status=1
    # libFuzzer's last "#N ... exec/s: R" status line and its final stats
    execs=$(grep -aoE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    [[ -n "$execs" ]] || execs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    secs=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' || true)
    [[ -n "$secs" ]] || secs=$(( $(date +%s) - start ))
    rate=$(grep -aoE 'stat::average_exec_per_sec: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    [[ -n "$rate" ]] || rate=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
    printf '%-28s %12s %8s %10s  %s\n' "$name" "${execs:-?}" "$secs" "$rate" "$result" | tee -a "$summary"
done
exit "$status"
