package dev.sluice.egress.connect;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The PROXY protocol v2 header KumoMTA sends: command PROXY, TCP over IPv4/IPv6, source port 0, no TLVs. */
final class HaProxyHeader {
    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private HaProxyHeader() {}

    /** Caller has checked that both addresses are of one family. */
    static ByteBuf encode(ByteBufAllocator alloc, InetAddress source, InetSocketAddress destination) {
        boolean v4 = source instanceof Inet4Address;
        ByteBuf b = alloc.buffer(v4 ? 28 : 52);
        b.writeBytes(SIGNATURE);
        b.writeByte(0x21);                 // version 2, PROXY
        b.writeByte(v4 ? 0x11 : 0x21);     // AF_INET/AF_INET6 + STREAM
        b.writeShort(v4 ? 12 : 36);
        b.writeBytes(source.getAddress());
        b.writeBytes(destination.getAddress().getAddress());
        b.writeShort(0);
        b.writeShort(destination.getPort());
        return b;
    }
}
