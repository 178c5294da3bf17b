package dev.sluice.cli;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A plain blocking SMTP client for fault tests: one connection, one message at a time, and the reply
 * code of each step, so the caller knows exactly which messages got their 250 after DATA.
 */
final class SmtpInjector implements Closeable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    SmtpInjector(InetSocketAddress server) throws IOException {
        socket = new Socket();
        socket.connect(server, 10_000);
        socket.setSoTimeout(60_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
        expect(reply(), 220, "banner");
        send("EHLO injector.test");
        expect(reply(), 250, "EHLO");
    }

    /** Sends one message with header {@code X-Seq: seq}; returns the reply code after the final dot. */
    int sendMessage(String from, String to, String seq) throws IOException {
        send("MAIL FROM:<" + from + ">");
        expect(reply(), 250, "MAIL");
        send("RCPT TO:<" + to + ">");
        expect(reply(), 250, "RCPT");
        send("DATA");
        expect(reply(), 354, "DATA");
        send("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: fault test " + seq + "\r\nX-Seq: " + seq
                + "\r\n\r\nbody of " + seq + "\r\n.");
        return reply();
    }

    /**
     * Sends one message with header {@code X-Seq: seq} and a body of about {@code bodyBytes}, stopping at the first
     * refusal; returns the step and the reply line that ended it: {@code "MAIL 452 4.3.1 ..."} or
     * {@code "DATA 250 2.0.0 ..."} for the reply after the final dot.
     */
    String attempt(String from, String to, String seq, int bodyBytes) throws IOException {
        send("MAIL FROM:<" + from + ">");
        String mail = replyLine();
        if (!mail.startsWith("250")) return "MAIL " + mail;
        send("RCPT TO:<" + to + ">");
        String rcpt = replyLine();
        if (!rcpt.startsWith("250")) return "RCPT " + rcpt;
        send("DATA");
        String data = replyLine();
        if (!data.startsWith("354")) return "DATA " + data;
        // random base64 lines: a body that does not compress, so it takes its size on disk
        StringBuilder body = new StringBuilder(bodyBytes + 80);
        java.util.Random random = new java.util.Random(seq.hashCode());
        byte[] chunk = new byte[57];
        while (body.length() < bodyBytes) {
            random.nextBytes(chunk);
            body.append(java.util.Base64.getEncoder().encodeToString(chunk)).append("\r\n");
        }
        send("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: fault test " + seq + "\r\nX-Seq: " + seq
                + "\r\n\r\n" + body + ".");
        return "DATA " + replyLine();
    }

    void quit() throws IOException {
        send("QUIT");
        reply();
    }

    private void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads a (possibly multi-line) reply and returns its code; a closed connection is an IOException. */
    private int reply() throws IOException {
        return Integer.parseInt(replyLine().substring(0, 3));
    }

    /** Reads a (possibly multi-line) reply and returns its last line. */
    private String replyLine() throws IOException {
        while (true) {
            String line = in.readLine();
            if (line == null) throw new IOException("connection closed by the server");
            if (line.length() < 4 || line.charAt(3) != '-') return line;
        }
    }

    private static void expect(int code, int wanted, String step) throws IOException {
        if (code != wanted) throw new IOException(step + " answered " + code);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
