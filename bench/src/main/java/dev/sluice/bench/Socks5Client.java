package dev.sluice.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The smallest SOCKS5 client the bench needs: no-auth greeting, CONNECT to an IPv4 target, and KumoMTA's
 * "BIND names the source address" request (cmd 0x02, ATYP IPv4, port 0) sent before the CONNECT.
 * Each step waits for its reply, as a real client does.
 */
final class Socks5Client {

    static final byte CMD_CONNECT = 0x01;
    static final byte CMD_BIND = 0x02;

    private Socks5Client() {}

    static void greet(SocketChannel ch) throws IOException {
        write(ch, ByteBuffer.wrap(new byte[] {5, 1, 0}));
        ByteBuffer reply = readExactly(ch, 2);
        if (reply.get(0) != 5 || reply.get(1) != 0) {
            throw new IOException("proxy refused no-auth: " + reply.get(0) + "," + reply.get(1));
        }
    }

    /** Sends a request with an IPv4 address and reads the whole reply; throws unless it says success. */
    static void request(SocketChannel ch, byte cmd, InetSocketAddress addr) throws IOException {
        if (!(addr.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("bench uses IPv4 only: " + addr);
        }
        byte[] ip = addr.getAddress().getAddress();
        int port = addr.getPort();
        write(ch, ByteBuffer.wrap(new byte[] {5, cmd, 0, 1, ip[0], ip[1], ip[2], ip[3],
                (byte) (port >> 8), (byte) port}));
        ByteBuffer head = readExactly(ch, 4);
        if (head.get(0) != 5) {
            throw new IOException("bad SOCKS reply version " + head.get(0));
        }
        int rep = head.get(1) & 0xff;
        int rest = switch (head.get(3)) {
            case 1 -> 4 + 2;
            case 4 -> 16 + 2;
            case 3 -> (readExactly(ch, 1).get(0) & 0xff) + 2;
            default -> throw new IOException("bad SOCKS reply address type " + head.get(3));
        };
        readExactly(ch, rest);
        if (rep != 0) {
            throw new IOException("SOCKS request " + cmd + " refused with reply code " + rep);
        }
    }

    static void write(SocketChannel ch, ByteBuffer buf) throws IOException {
        for (int i = 0; i < 1_000 && buf.hasRemaining(); i++) {
            ch.write(buf);
        }
        if (buf.hasRemaining()) {
            throw new IOException("could not write " + buf.remaining() + " bytes");
        }
    }

    static ByteBuffer readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        for (int i = 0; i < 10_000 && buf.hasRemaining(); i++) {
            if (ch.read(buf) < 0) {
                throw new EOFException("connection closed after " + buf.position() + " of " + n + " bytes");
            }
        }
        if (buf.hasRemaining()) {
            throw new IOException("short read");
        }
        return buf.flip();
    }
}
