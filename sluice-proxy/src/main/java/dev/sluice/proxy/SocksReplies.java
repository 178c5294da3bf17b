package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The server's SOCKS5 replies as bytes (RFC 1928 sections 3 and 6, RFC 1929 section 2), written straight to the
 * client: no encoder in the pipeline. Every reply but a success is built once (a direct, unreleasable buffer) and
 * written as a duplicate; a success carries the socket's own address bytes.
 */
final class SocksReplies {
    private SocksReplies() {}

    static final int METHOD_NO_AUTH = 0x00, METHOD_PASSWORD = 0x02, METHOD_UNACCEPTABLE = 0xFF;

    private static final ByteBuf NO_AUTH = constant(5, METHOD_NO_AUTH);
    private static final ByteBuf PASSWORD = constant(5, METHOD_PASSWORD);
    private static final ByteBuf UNACCEPTABLE = constant(5, METHOD_UNACCEPTABLE);
    private static final ByteBuf AUTH_OK = constant(1, 0);
    /** Netty's FAILURE constant is 0xFF; KumoProxy and most servers answer {@code 01 01}. */
    private static final ByteBuf AUTH_FAILED = constant(1, 1);
    /** Failure replies by status byte (1-255), BND 0.0.0.0:0. */
    private static final ByteBuf[] FAILURES = new ByteBuf[256];

    static {
        for (int status = 1; status < 256; status++) {
            FAILURES[status] = constant(5, status, 0, Socks5AddressType.IPv4.byteValue(), 0, 0, 0, 0, 0, 0);
        }
    }

    private static ByteBuf constant(int... bytes) {
        ByteBuf b = Unpooled.directBuffer(bytes.length, bytes.length);
        for (int x : bytes) {
            b.writeByte(x);
        }
        return Unpooled.unreleasableBuffer(b);
    }

    /** Method selection: VER 5, METHOD 0x00. */
    static ByteBuf methodNoAuth() {
        return NO_AUTH.duplicate();
    }

    /** Method selection: VER 5, METHOD 0x02 (username/password follows). */
    static ByteBuf methodPassword() {
        return PASSWORD.duplicate();
    }

    /** Method selection: VER 5, METHOD 0xFF (no acceptable method). */
    static ByteBuf methodUnacceptable() {
        return UNACCEPTABLE.duplicate();
    }

    /** Username/password status 0: granted. */
    static ByteBuf authSucceeded() {
        return AUTH_OK.duplicate();
    }

    /** Username/password status 1: refused. */
    static ByteBuf authFailed() {
        return AUTH_FAILED.duplicate();
    }

    /** A failure reply: the status, BND 0.0.0.0:0. */
    static ByteBuf failure(Socks5CommandStatus status) {
        int s = status.byteValue() & 0xff;
        if (s == 0) {
            throw new IllegalArgumentException("not a failure: " + status);
        }
        return FAILURES[s].duplicate();
    }

    /** A success reply carrying {@code bound} (an IPv4-mapped address as IPv4). */
    static ByteBuf success(ByteBufAllocator alloc, InetSocketAddress bound) {
        InetAddress a = IpLiterals.unmapV4(bound.getAddress());
        byte[] ip = a.getAddress();
        Socks5AddressType t = a instanceof Inet6Address ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
        return alloc.buffer(6 + ip.length).writeByte(5).writeByte(Socks5CommandStatus.SUCCESS.byteValue()).writeByte(0)
                .writeByte(t.byteValue()).writeBytes(ip).writeShort(bound.getPort());
    }
}
