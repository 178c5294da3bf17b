/**
 * Real peers for tests: each starts a Debian-packaged program (or {@code bin/sluice}) on a free
 * loopback port or inside a {@link dev.sluice.testkit.NetNamespace} the test created, waits until it
 * listens, logs its output under {@code target/peers/}, and stops it by PID on close. Typical use:
 *
 * <pre>{@code
 * @RegisterExtension final Peers peers = new Peers();
 *
 * @Test void delivers() {
 *     SmtpSink sink = peers.add(SmtpSink.start());
 *     Microsocks socks = peers.add(Microsocks.builder().bindAddress("127.0.0.5").start());
 *     ... send through socks.hostPort() to sink.hostPort() ...
 *     assertThat(sink.awaitMessages(1).getFirst().clientAddr()).isEqualTo("127.0.0.5");
 * }
 * }</pre>
 *
 * A JVM shutdown hook stops whatever a test left running; nothing the testkit did not start is touched.
 */
package dev.sluice.testkit;
