package dev.sluice.mta.ingress.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A raw SMTP client for tests: sends exactly the bytes given and parses (multi-line) replies. */
final class SmtpTestClient implements AutoCloseable {
    record Reply(int code, List<String> lines) {
        String text() {
            return String.join("\n", lines);
        }

        String last() {
            return lines.getLast();
        }

        @Override
        public String toString() {
            return code + " " + text();
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    SmtpTestClient(InetSocketAddress server) throws IOException {
        this(server, null);
    }

    /** Connects and, when {@code preamble} is null, reads the banner later via {@link #reply()}. */
    SmtpTestClient(InetSocketAddress server, byte[] preamble) throws IOException {
        this(server, preamble, null);
    }

    /** @param from local address to connect from (any 127.x address works on loopback), or null */
    SmtpTestClient(InetSocketAddress server, byte[] preamble, java.net.InetAddress from) throws IOException {
        socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(server, 10_000);
        socket.setSoTimeout(30_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        if (preamble != null) {
            send(preamble);
        }
    }

    static SmtpTestClient greeted(InetSocketAddress server) throws IOException {
        SmtpTestClient c = new SmtpTestClient(server);
        Reply banner = c.reply();
        if (banner.code() != 220) {
            throw new IOException("banner " + banner);
        }
        return c;
    }

    /** Bytes the server sent that were not read yet. */
    int available() throws IOException {
        return in.available();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    Reply cmd(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    Reply reply() throws IOException {
        List<String> lines = new ArrayList<>();
        int code;
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new IOException("connection closed; got so far " + lines);
            }
            if (line.length() < 4) {
                throw new IOException("bad reply line '" + line + "'");
            }
            code = Integer.parseInt(line.substring(0, 3));
            lines.add(line.substring(4));
            if (line.charAt(3) == ' ') {
                return new Reply(code, lines);
            }
        }
    }

    /** True when the server closed the connection (reads EOF). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = buf.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.UTF_8);
            }
            buf.write(b);
        }
        return null;
    }

    /** HELO/EHLO, MAIL, RCPT, DATA; returns the reply after the data (which is sent as given, then CRLF.CRLF). */
    Reply transaction(String from, List<String> to, String data) throws IOException {
        expect(cmd("MAIL FROM:<" + from + ">"), 250);
        for (String r : to) {
            expect(cmd("RCPT TO:<" + r + ">"), 250);
        }
        expect(cmd("DATA"), 354);
        send(data + "\r\n.\r\n");
        return reply();
    }

    static Reply expect(Reply r, int code) throws IOException {
        if (r.code() != code) {
            throw new IOException("expected " + code + ", got " + r);
        }
        return r;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
