package dev.sluice.testkit;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A minimal hand-written DNS MX query over UDP, enough to prove dnsmasq answers. */
final class DnsQuery {
    record Mx(int preference, String exchange) {}

    private DnsQuery() {}

    static List<Mx> mx(InetSocketAddress server, String name) throws Exception {
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}); // id, RD, 1 question
        for (String label : name.split("\\.")) {
            q.write(label.length());
            q.writeBytes(label.getBytes());
        }
        q.writeBytes(new byte[] {0, 0, 15, 0, 1}); // root, QTYPE MX, QCLASS IN
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5000);
            byte[] req = q.toByteArray();
            s.send(new DatagramPacket(req, req.length, server));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return parse(ByteBuffer.wrap(buf, 0, p.getLength()));
        }
    }

    private static List<Mx> parse(ByteBuffer b) {
        int qd = b.getShort(4) & 0xffff;
        int an = b.getShort(6) & 0xffff;
        b.position(12);
        for (int i = 0; i < qd; i++) {
            readName(b);
            b.position(b.position() + 4);
        }
        List<Mx> out = new ArrayList<>();
        for (int i = 0; i < an; i++) {
            readName(b);
            int type = b.getShort() & 0xffff;
            b.position(b.position() + 6); // class, ttl
            int len = b.getShort() & 0xffff;
            int end = b.position() + len;
            if (type == 15) out.add(new Mx(b.getShort() & 0xffff, readName(b)));
            b.position(end);
        }
        return out;
    }

    private static String readName(ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        int jumpBack = -1;
        for (int guard = 0; guard < 128; guard++) {
            int len = b.get() & 0xff;
            if (len == 0) break;
            if ((len & 0xc0) == 0xc0) {
                int ptr = ((len & 0x3f) << 8) | (b.get() & 0xff);
                if (jumpBack < 0) jumpBack = b.position();
                b.position(ptr);
                continue;
            }
            byte[] label = new byte[len];
            b.get(label);
            if (!sb.isEmpty()) sb.append('.');
            sb.append(new String(label));
        }
        if (jumpBack >= 0) b.position(jumpBack);
        return sb.toString();
    }
}
