package dev.sluice.proxy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A tiny blocking SOCKS5 client for tests: every byte on the wire is explicit. */
final class Socks5TestClient implements AutoCloseable {
    static final int CONNECT = 1, BIND = 2, UDP = 3;

    record Reply(int rep, int atyp, InetSocketAddress bound) {}

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    Socks5TestClient(InetSocketAddress proxy) throws IOException {
        this(new Socket(), proxy);
    }

    Socks5TestClient(Socket socket, InetSocketAddress proxy) throws IOException {
        this.socket = socket;
        if (!socket.isConnected()) {
            socket.connect(proxy, 10_000);
        }
        socket.setSoTimeout(30_000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    void send(int... bytes) throws IOException {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        out.write(b);
        out.flush();
    }

    /** Sends a greeting with the given methods and returns the selected method. */
    int greet(int... methods) throws IOException {
        int[] g = new int[methods.length + 2];
        g[0] = 5;
        g[1] = methods.length;
        System.arraycopy(methods, 0, g, 2, methods.length);
        send(g);
        int ver = in.readUnsignedByte();
        if (ver != 5) {
            throw new IOException("bad version in method selection: " + ver);
        }
        return in.readUnsignedByte();
    }

    /** RFC 1929 exchange; returns the status byte. */
    int auth(String user, String password) throws IOException {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(1);
        b.write(u.length);
        b.writeBytes(u);
        b.write(p.length);
        b.writeBytes(p);
        out.write(b.toByteArray());
        out.flush();
        int ver = in.readUnsignedByte();
        if (ver != 1) {
            throw new IOException("bad auth reply version " + ver);
        }
        return in.readUnsignedByte();
    }

    static byte[] request(int cmd, InetAddress address, int port) {
        byte[] a = address.getAddress();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(5);
        b.write(cmd);
        b.write(0);
        b.write(address instanceof Inet6Address ? 4 : 1);
        b.writeBytes(a);
        b.write(port >> 8);
        b.write(port & 0xFF);
        return b.toByteArray();
    }

    Reply request(int cmd, InetSocketAddress target) throws IOException {
        out.write(request(cmd, target.getAddress(), target.getPort()));
        out.flush();
        return readReply();
    }

    Reply readReply() throws IOException {
        int ver = in.readUnsignedByte();
        if (ver != 5) {
            throw new IOException("bad reply version " + ver);
        }
        int rep = in.readUnsignedByte();
        in.readUnsignedByte();
        int atyp = in.readUnsignedByte();
        byte[] addr = new byte[atyp == 4 ? 16 : 4];
        if (atyp != 1 && atyp != 4) {
            throw new IOException("unexpected reply address type " + atyp);
        }
        in.readFully(addr);
        int port = in.readUnsignedShort();
        return new Reply(rep, atyp, new InetSocketAddress(InetAddress.getByAddress(addr), port));
    }

    /** Reads until EOF and returns what came; fails if the socket stays open past the read timeout. */
    byte[] readToEof() throws IOException {
        return in.readAllBytes();
    }

    /** True when the proxy closed the connection (EOF or reset) without sending anything more. */
    boolean closedWithoutBytes() throws IOException {
        try {
            return in.read() == -1;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    static void expectEof(InputStream in) throws IOException {
        if (in.read() != -1) {
            throw new EOFException("expected EOF");
        }
    }
}
