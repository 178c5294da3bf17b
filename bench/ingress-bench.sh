#!/usr/bin/env bash
# ingress-bench.sh — heap used while many large messages arrive at once (issue 12): runs MtaLargeIngressTest, which
# starts `bin/sluice mta` with a capped heap and a GC log, sends MESSAGES concurrent messages of SIZE_MB MB (one
# session each), checks every 250 and, once the MX is up, every delivered message's size and SHA-256, and prints
# the heap before and after collections (peaks over the run) from the MTA's GC log.
#
# Environment (all optional):
#   MESSAGES=100  SIZE_MB=20  HEAP=256m (the MTA's -Xmx; the suite runs 25 messages at 256m)
#   DKIM=1  (smtp_server_message_received signs each message with a fresh 2048-bit RSA key: what signing costs)
#   SKIP_BUILD=1  (the jars under sluice-cli/target are current)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESSAGES=${MESSAGES:-100}
SIZE_MB=${SIZE_MB:-20}
HEAP=${HEAP:-256m}

cd "$ROOT"
. bin/lib/jdk.sh
JAVA_HOME=$(sluice_find_jdk)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests package -pl sluice-cli -am
fi
EVENTS=""
if [ -n "${DKIM:-}" ]; then
  key=$(mktemp /tmp/ingress-bench-key.XXXXXX)
  openssl genrsa -out "$key" 2048 2>/dev/null
  EVENTS="kumo.on('smtp_server_message_received', function(msg) msg:dkim_sign(kumo.dkim.rsa_sha256_signer {"
  EVENTS+=" domain = 'example.test', selector = 's1', headers = { 'From', 'To', 'Subject' }, key = '$key' }) end)"
fi
echo "[ingress-bench] $(date -u +%FT%TZ) $(nproc) cores, $MESSAGES x $SIZE_MB MB, -Xmx$HEAP" >&2
SLUICE_NO_BUILD=1 mvn -B -q -pl sluice-cli test -Dtest=MtaLargeIngressTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsluice.home="$ROOT" -Dingress.messages="$MESSAGES" -Dingress.size.mb="$SIZE_MB" -Dingress.heap="$HEAP" \
  -Dingress.events="$EVENTS" \
  -Dsurefire.reportFormat=plain
grep -ho 'MtaLargeIngressTest: [^<&]*' sluice-cli/target/surefire-reports/TEST-dev.sluice.cli.MtaLargeIngressTest.xml \
  | sort -u
