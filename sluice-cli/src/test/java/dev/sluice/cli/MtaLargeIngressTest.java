package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large messages in a small heap, on a {@code bin/sluice mta} process: {@code ingress.messages} clients (25 in the
 * suite, which takes about 30 s on a loaded 2-core machine; {@code bench/ingress-bench.sh} runs 100) send a {@code ingress.size.mb} MB message each (default 20) at the same time to an MTA whose heap is capped at
 * {@code ingress.heap} (default 256m) and that exits on an OutOfMemoryError. Every message must get its 250, and
 * then reach a sink with exactly the bytes sent (size and SHA-256 of everything from the client's first line on).
 * Before the data went to a file while it arrives, each session held its whole message on the heap (twice, briefly):
 * 100 × 20 MB needed over 2 GB, and 25 of them end the MTA with an OutOfMemoryError at 256m. The MX is down while the messages arrive (their deferral holds no data), and the
 * path's connection_limit is 2 when it comes back, since a delivery attempt reads its message onto the heap.
 *
 * <p>The heap after each collection (the MTA's GC log) is printed: its maximum is what ingress kept alive.
 * {@code bench/ingress-bench.sh} runs this test for the figure in docs/benchmarks.md.
 */
class MtaLargeIngressTest {
    private static final int MESSAGES = Integer.getInteger("ingress.messages", 25);
    private static final int SIZE_MB = Integer.getInteger("ingress.size.mb", 20);
    private static final String HEAP = System.getProperty("ingress.heap", "256m");
    /** More policy Lua (bench: a reception handler that signs, to measure what it costs). */
    private static final String EVENTS = System.getProperty("ingress.events", "");
    private static final Pattern GC_LINE = Pattern.compile("Pause.* (\\d+)M->(\\d+)M\\((\\d+)M\\)");

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    @Test
    void concurrentLargeMessagesAreAcceptedAndDeliveredIntactInASmallHeap() throws Exception {
        byte[] headers = (FIRST_LINE + "\r\nTo: <rcpt@example.test>\r\nSubject: large\r\n"
                + "Message-ID: <large@example.test>\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = body(SIZE_MB * 1_000_000); // MB, not MiB: 20 MB is under the default max_message_size (20 MiB)
        MessageDigest common = MessageDigest.getInstance("SHA-256");
        common.update(headers);
        common.update(body);

        int sinkPort = FreePorts.tcp(); // the MX is down while the messages arrive
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener()
                .queue("retry_interval = '2s', max_retry_interval = '2s',")
                .path("connection_limit = 2,")
                .events(EVENTS)
                .write();
        Path gcLog = dir.resolve("gc.log");
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString())
                .workDir(dir).env("SLUICE_MTA_HEAP", HEAP)
                .env("JAVA_OPTS", "-XX:+ExitOnOutOfMemoryError -Xlog:gc:file=" + gcLog).start());
        InetSocketAddress esmtp = mta.listener("esmtp").orElseThrow();

        long started = System.nanoTime();
        List<String> replies = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> sent = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                int seq = i;
                sent.add(clients.submit(() -> send(esmtp, headers, body, trailer(seq))));
            }
            for (Future<String> f : sent) {
                try {
                    replies.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    replies.add("no reply: " + e.getCause()); // e.g. the MTA died of an OutOfMemoryError
                }
            }
        }
        long ingressMillis = (System.nanoTime() - started) / 1_000_000;
        String heap = heapAfterCollections(gcLog);
        System.out.printf("MtaLargeIngressTest: %d x %d MB accepted in %d ms with -Xmx%s; %s%n", MESSAGES, SIZE_MB,
                ingressMillis, HEAP, heap);
        assertThat(mta.logText()).doesNotContain("OutOfMemoryError");
        assertThat(replies).as("the reply to each DATA").allMatch(r -> r.startsWith("250 "));

        try (DigestSink sink = new DigestSink(sinkPort)) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> sink.received.size() >= MESSAGES || !mta.isAlive());
            assertThat(mta.logText()).doesNotContain("OutOfMemoryError");
            assertThat(sink.received).hasSize(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                MessageDigest expected = (MessageDigest) common.clone();
                byte[] trailer = trailer(i);
                expected.update(trailer);
                assertThat(sink.received.get(trailerLine(i)))
                        .as("message %d as the sink got it", i)
                        .isEqualTo(new Received(headers.length + body.length + trailer.length,
                                HexFormat.of().formatHex(expected.digest())));
            }
        }
        System.out.printf("MtaLargeIngressTest: all delivered after %d ms; %s%n",
                (System.nanoTime() - started) / 1_000_000, heapAfterCollections(gcLog));
        assertThat(mta.isAlive()).isTrue();
        mta.terminate();
        assertThat(mta.awaitExit(Duration.ofMinutes(1))).isZero();
    }

    /**
     * The HTTP inject API bounded like DATA: {@code ingress.http.messages} (default 10) requests of 15 MB raw content
     * each at the same time, to an MTA whose heap is capped at {@code ingress.http.heap} (default 256m). Each body goes
     * to a file before it waits for its turn, one large request is parsed at a time, and its message is written to a
     * file as it is generated: every request is answered with success and every message reaches the sink with the
     * bytes sent. Before, each request held its body, the JSON tree, the template engine's and the line-end copies,
     * the joined text and its bytes on the heap at once, and the MTA ended in an OutOfMemoryError.
     */
    @Test
    void concurrentLargeHttpInjectsAreAcceptedAndDeliveredIntactInASmallHeap() throws Exception {
        int messages = Integer.getInteger("ingress.http.messages", 10);
        String heapCap = System.getProperty("ingress.http.heap", "256m");
        String headers = FIRST_LINE + "\r\nTo: <rcpt@example.test>\r\nSubject: large\r\n"
                + "Message-ID: <large@example.test>\r\n\r\n";
        // 15 MB: the JSON parser takes strings of at most 20,000,000 characters (Jackson's StreamReadConstraints)
        int sizeMb = Integer.getInteger("ingress.http.size.mb", 15);
        byte[] body = body(sizeMb * 1_000_000);
        MessageDigest common = MessageDigest.getInstance("SHA-256");
        common.update(headers.getBytes(StandardCharsets.US_ASCII));
        common.update(body);
        // the JSON string of the content without its trailer: base64 lines need no escaping but their CRLFs
        String escaped = (headers + new String(body, StandardCharsets.US_ASCII)).replace("\r", "\\r").replace("\n", "\\n");

        int sinkPort = FreePorts.tcp(); // the MX is down while the messages arrive
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener(", request_body_limit = 64000000")
                .queue("retry_interval = '2s', max_retry_interval = '2s',")
                .path("connection_limit = 2,")
                .write();
        Path gcLog = dir.resolve("gc.log");
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString())
                .workDir(dir).env("SLUICE_MTA_HEAP", heapCap)
                .env("JAVA_OPTS", "-XX:+ExitOnOutOfMemoryError -Xlog:gc:file=" + gcLog).start());
        java.net.URI inject = java.net.URI.create("http://127.0.0.1:" + mta.httpListener().getPort() + "/api/inject/v1");

        long started = System.nanoTime();
        List<String> answers = new ArrayList<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> sent = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                int seq = i;
                sent.add(clients.submit(() -> {
                    String json = "{\"envelope_sender\": \"sender@example.test\", \"recipients\": [{\"email\":"
                            + " \"rcpt@example.test\"}], \"content\": \"" + escaped + trailerLine(seq) + "\\r\\n\"}";
                    var response = http.send(java.net.http.HttpRequest.newBuilder(inject)
                            .header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    return response.statusCode() + " " + response.body();
                }));
            }
            for (Future<String> f : sent) {
                try {
                    answers.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    answers.add("no answer: " + e.getCause()); // e.g. the MTA died of an OutOfMemoryError
                }
            }
        }
        System.out.printf("MtaLargeIngressTest: %d x %d MB injected over HTTP in %d ms with -Xmx%s; %s%n", messages,
                sizeMb, (System.nanoTime() - started) / 1_000_000, heapCap, heapAfterCollections(gcLog));
        assertThat(mta.logText()).doesNotContain("OutOfMemoryError");
        assertThat(answers).as("the answer to each inject").allMatch(a -> a.startsWith("200 ")
                && a.contains("\"success_count\":1"));

        try (DigestSink sink = new DigestSink(sinkPort)) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> sink.received.size() >= messages || !mta.isAlive());
            assertThat(mta.logText()).doesNotContain("OutOfMemoryError");
            assertThat(sink.received).hasSize(messages);
            for (int i = 0; i < messages; i++) {
                MessageDigest expected = (MessageDigest) common.clone();
                byte[] trailer = trailer(i);
                expected.update(trailer);
                assertThat(sink.received.get(trailerLine(i)))
                        .as("message %d as the sink got it", i)
                        .isEqualTo(new Received(headers.length() + body.length + trailer.length,
                                HexFormat.of().formatHex(expected.digest())));
            }
        }
        mta.terminate();
        assertThat(mta.awaitExit(Duration.ofMinutes(1))).isZero();
    }

    /** Random base64 lines (no line starts with a dot, so no stuffing), {@code size} bytes or a little more. */
    private static byte[] body(int size) {
        Random random = new Random(42);
        byte[] raw = new byte[57];
        byte[] out = new byte[size + 80];
        int at = 0;
        while (at < size) {
            random.nextBytes(raw);
            byte[] line = Base64.getEncoder().encode(raw);
            System.arraycopy(line, 0, out, at, line.length);
            at += line.length;
            out[at++] = '\r';
            out[at++] = '\n';
        }
        return java.util.Arrays.copyOf(out, at);
    }

    private static String trailerLine(int seq) {
        return "-- end of large message " + seq + " --";
    }

    private static byte[] trailer(int seq) {
        return (trailerLine(seq) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** One SMTP transaction; the reply line after the final dot. */
    private static String send(InetSocketAddress server, byte[] headers, byte[] body, byte[] trailer)
            throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, 10_000);
            s.setSoTimeout(120_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            command(out, "EHLO client.test");
            expect(in, "250");
            command(out, "MAIL FROM:<sender@example.test>");
            expect(in, "250");
            command(out, "RCPT TO:<rcpt@example.test>");
            expect(in, "250");
            command(out, "DATA");
            expect(in, "354");
            out.write(headers);
            for (int at = 0; at < body.length; at += 1 << 16) {
                out.write(body, at, Math.min(1 << 16, body.length - at));
            }
            out.write(trailer);
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = replyLine(in);
            command(out, "QUIT");
            return reply;
        }
    }

    private static void command(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void expect(InputStream in, String code) throws IOException {
        String reply = replyLine(in);
        if (!reply.startsWith(code)) {
            throw new IOException("expected " + code + ", got " + reply);
        }
    }

    /** The last line of a (multi-line) reply. */
    private static String replyLine(InputStream in) throws IOException {
        while (true) {
            String line = line(in);
            if (line == null) {
                throw new IOException("connection closed");
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line;
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return c < 0 && b.isEmpty() ? null : b.toString();
    }

    /** The heap after collections in the MTA's GC log: "after GC max N MiB over K collections". */
    private static String heapAfterCollections(Path gcLog) throws IOException {
        long max = 0;
        long maxBefore = 0;
        int count = 0;
        for (String l : Files.readAllLines(gcLog)) {
            Matcher m = GC_LINE.matcher(l);
            if (m.find()) {
                count++;
                maxBefore = Math.max(maxBefore, Long.parseLong(m.group(1)));
                max = Math.max(max, Long.parseLong(m.group(2)));
            }
        }
        return "heap used: at most " + maxBefore + " MiB before and " + max + " MiB after a collection ("
                + count + " collections)";
    }

    /** Lines from a stream, found in a buffer of its own (not a synchronized read per byte: 2 GB pass here). */
    static final class Lines {
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private int end;

        Lines(InputStream in) {
            this.in = in;
        }

        /** The next line with its LF into {@code out}; its length, 0 at the end of the stream. */
        int nextOrEnd(byte[] out) throws IOException {
            int n = 0;
            while (true) {
                if (pos == end) {
                    end = in.read(buf);
                    pos = 0;
                    if (end < 0) {
                        end = 0;
                        return n;
                    }
                }
                int i = pos;
                while (i < end && buf[i] != '\n') {
                    i++;
                }
                boolean found = i < end;
                int len = (found ? i + 1 : end) - pos;
                System.arraycopy(buf, pos, out, n, len);
                n += len;
                pos += len;
                if (found) {
                    return n;
                }
            }
        }

        int next(byte[] out) throws IOException {
            int n = nextOrEnd(out);
            if (n == 0) {
                throw new IOException("connection closed in DATA");
            }
            return n;
        }
    }

    /** The first line the clients send. */
    private static final String FIRST_LINE = "From: <sender@example.test>";

    /** What the sink got for one message: its size and SHA-256 from the client's first line on. */
    record Received(long size, String sha256) {}

    /**
     * An SMTP sink that keeps no message: for each it hashes everything from the client's first line on (skipping
     * what the MTA put in front: its Received header, a policy's DKIM-Signature), dot-unstuffed, CRLF line ends as
     * sent, and files the result under the message's last line.
     */
    static final class DigestSink implements AutoCloseable {
        final Map<String, Received> received = new ConcurrentHashMap<>();
        private final ServerSocket server;
        private final ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor();

        DigestSink(int port) throws IOException {
            server = new ServerSocket(port, 64, InetAddress.getLoopbackAddress());
            sessions.submit(() -> {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    sessions.submit(() -> session(s));
                }
                return null;
            });
        }

        private Void session(Socket s) throws Exception {
            try (s) {
                Lines in = new Lines(s.getInputStream());
                OutputStream out = s.getOutputStream();
                command(out, "220 sink.test ESMTP");
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.nextOrEnd(buf)) > 0) {
                    String line = new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                    switch (verb) {
                        case "EHLO", "HELO" -> command(out, "250 sink.test");
                        case "DATA" -> {
                            command(out, "354 go on");
                            readMessage(in);
                            command(out, "250 2.0.0 kept");
                        }
                        case "QUIT" -> {
                            command(out, "221 bye");
                            return null;
                        }
                        default -> command(out, "250 ok");
                    }
                }
            }
            return null;
        }

        private void readMessage(Lines in) throws Exception {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            boolean top = true; // still in what the MTA put in front (Received, a DKIM-Signature of the policy's)
            long size = 0;
            byte[] last = new byte[0];
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n = rawLine(in, buf);
                if (n == 3 && buf[0] == '.') {
                    break;
                }
                int from = n > 0 && buf[0] == '.' ? 1 : 0;
                if (top) {
                    if (!startsWith(buf, n, FIRST_LINE)) {
                        continue;
                    }
                    top = false;
                }
                sha.update(buf, from, n - from);
                size += n - from;
                last = java.util.Arrays.copyOfRange(buf, from, Math.max(from, n - 2));
            }
            received.put(new String(last, StandardCharsets.US_ASCII),
                    new Received(size, HexFormat.of().formatHex(sha.digest())));
        }

        private static boolean startsWith(byte[] b, int n, String prefix) {
            if (n < prefix.length()) {
                return false;
            }
            for (int i = 0; i < prefix.length(); i++) {
                if (b[i] != prefix.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        /** One line with its LF into {@code buf} (lines are far shorter than it); its length. */
        private static int rawLine(Lines in, byte[] buf) throws IOException {
            return in.next(buf);
        }

        @Override
        public void close() throws IOException {
            server.close();
            sessions.shutdownNow();
        }
    }
}
