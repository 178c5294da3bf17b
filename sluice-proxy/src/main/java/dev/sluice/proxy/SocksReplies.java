package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The server's SOCKS5 replies as bytes (RFC 1928 sections 3 and 6, RFC 1929 section 2), written straight to the
 * client: no encoder in the pipeline to add and remove per session, and the bound address goes out as the
 * socket's bytes instead of text that the encoder parses back.
 */
final class SocksReplies {
    private SocksReplies() {}

    /** Method selection: VER 5, METHOD. */
    static ByteBuf method(ByteBufAllocator alloc, Socks5AuthMethod method) {
        return alloc.buffer(2).writeByte(5).writeByte(method.byteValue());
    }

    /** Username/password status: VER 1, STATUS (0 success, else failure). */
    static ByteBuf passwordStatus(ByteBufAllocator alloc, int status) {
        return alloc.buffer(2).writeByte(1).writeByte(status);
    }

    /** A failure reply: the status, BND 0.0.0.0:0. */
    static ByteBuf failure(ByteBufAllocator alloc, Socks5CommandStatus status) {
        return alloc.buffer(10).writeByte(5).writeByte(status.byteValue()).writeByte(0)
                .writeByte(Socks5AddressType.IPv4.byteValue()).writeInt(0).writeShort(0);
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
