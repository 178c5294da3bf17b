package dev.sluice.egress.connect;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The SOCKS5 client side, by hand, as kumod speaks it: greeting [00] or [00, 02]; RFC 1929; optional
 * BIND(source, 0) (the KumoProxy convention); CONNECT(destination). Runs with autoRead off and reads
 * only when it needs bytes. Completes {@link #result} with the CONNECT reply's bound address and
 * whatever bytes followed it; failures complete it with a {@link ConnectFailedException}.
 */
final class Socks5Handshake extends ChannelInboundHandlerAdapter {
    private enum State { METHOD, AUTH, BIND, CONNECT, DONE }

    /** Success: the proxy's reply address for CONNECT, and bytes that arrived after it (maybe empty). */
    record Result(InetSocketAddress boundAddress, ByteBuf rest) {}

    final CompletableFuture<Result> result = new CompletableFuture<>();
    private final ProxyHop.Socks5 hop;
    private final InetSocketAddress destination;
    private final String proxyText;
    private ByteBuf in;
    private State state = State.METHOD;

    Socks5Handshake(ProxyHop.Socks5 hop, InetSocketAddress destination, String proxyText) {
        this.hop = hop;
        this.destination = destination;
        this.proxyText = proxyText;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        in = ctx.alloc().buffer(64);
        ByteBuf greeting = ctx.alloc().buffer(4);
        greeting.writeByte(5);
        if (hop.hasCredentials()) {
            greeting.writeByte(2).writeByte(0x00).writeByte(0x02);
        } else {
            greeting.writeByte(1).writeByte(0x00);
        }
        ctx.writeAndFlush(greeting).addListener(f -> {
            if (!f.isSuccess()) fail(new ConnectFailure.Other("failed to write SOCKS5 greeting: " + OsErrors.describe(f.cause())));
        });
        ctx.read();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (in != null) {
            in.release();
            in = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.DONE || in == null) {
            buf.release();
            return;
        }
        in.writeBytes(buf);
        buf.release();
        try {
            while (state != State.DONE && step(ctx)) {
                // keep going while whole replies are buffered
            }
        } catch (RuntimeException e) {
            fail(new ConnectFailure.Other(e.getMessage()));
            return;
        }
        if (state != State.DONE && !result.isDone()) ctx.read();
    }

    /** Handles one reply if complete; false when more bytes are needed. */
    private boolean step(ChannelHandlerContext ctx) {
        switch (state) {
            case METHOD -> {
                if (in.readableBytes() < 2) return false;
                int version = in.readUnsignedByte();
                int method = in.readUnsignedByte();
                if (version != 5) throw new IllegalStateException("invalid SOCKS5 version " + version + " in method selection");
                if (method == 0x00) {
                    sendRequestAfterAuth(ctx);
                } else if (method == 0x02) {
                    if (!hop.hasCredentials()) {
                        throw new IllegalStateException("server responded with UsernamePassword method when we didn't ask for it");
                    }
                    byte[] user = hop.username().getBytes(StandardCharsets.UTF_8);
                    byte[] pass = hop.password();
                    ByteBuf auth = ctx.alloc().buffer(3 + user.length + pass.length);
                    auth.writeByte(1).writeByte(user.length).writeBytes(user).writeByte(pass.length).writeBytes(pass);
                    ctx.writeAndFlush(auth);
                    state = State.AUTH;
                } else {
                    throw new IllegalStateException("incompatible SOCKS5 authentication " + methodName(method));
                }
                return true;
            }
            case AUTH -> {
                if (in.readableBytes() < 2) return false;
                int version = in.readUnsignedByte();
                int status = in.readUnsignedByte();
                if (version != 1) throw new IllegalStateException("invalid SOCKS5 UsernamePassword response packet [" + version + "]");
                if (status != 0) throw new IllegalStateException("SOCKS5 username/password was incorrect");
                sendRequestAfterAuth(ctx);
                return true;
            }
            case BIND, CONNECT -> {
                int len = replyLength();
                if (len < 0 || in.readableBytes() < len) return false;
                int version = in.readUnsignedByte();
                int rep = in.readUnsignedByte();
                in.skipBytes(1);
                int atyp = in.readUnsignedByte();
                byte[] addr = null;
                if (atyp == 3) {
                    in.skipBytes(in.readUnsignedByte());
                } else {
                    addr = new byte[atyp == 1 ? 4 : 16];
                    in.readBytes(addr);
                }
                int port = in.readUnsignedShort();
                if (version != 5) throw new IllegalStateException("invalid SOCKS5 version " + version + " in reply");
                if (state == State.BIND) {
                    if (rep != 0) {
                        fail(new ConnectFailure.ProxyBindError("The proxy server failed to bind " + hostText(hop.bindSource())
                                + " via " + proxyText + ": " + statusText(rep)));
                        state = State.DONE;
                        return false;
                    }
                    sendConnect(ctx);
                    return true;
                }
                if (rep != 0) {
                    throw new IllegalStateException("failed to connect " + (hop.bindSource() == null ? "(proxy's choice)"
                            : hostText(hop.bindSource())) + " -> " + dns(destination) + " via " + proxyText + ": " + statusText(rep));
                }
                if (addr == null) throw new IllegalStateException("Domain not supported");
                InetSocketAddress bound;
                try {
                    bound = new InetSocketAddress(InetAddress.getByAddress(addr), port);
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e.getMessage());
                }
                state = State.DONE;
                ctx.channel().config().setAutoRead(false);
                ByteBuf rest = in.readRetainedSlice(in.readableBytes());
                result.complete(new Result(bound, rest));
                return false;
            }
            default -> { return false; }
        }
    }

    /** Bytes of the reply at the reader index, or -1 while its length is not known yet. */
    private int replyLength() {
        if (in.readableBytes() < 5) return -1;
        int atyp = in.getUnsignedByte(in.readerIndex() + 3);
        return switch (atyp) {
            case 1 -> 4 + 4 + 2;
            case 4 -> 4 + 16 + 2;
            case 3 -> 4 + 1 + in.getUnsignedByte(in.readerIndex() + 4) + 2;
            default -> throw new IllegalStateException("invalid SOCKS5 address type " + atyp + " in reply");
        };
    }

    private void sendRequestAfterAuth(ChannelHandlerContext ctx) {
        if (hop.bindSource() != null) {
            ctx.writeAndFlush(request(ctx, 0x02, new InetSocketAddress(hop.bindSource(), 0)));
            state = State.BIND;
        } else {
            sendConnect(ctx);
        }
    }

    private void sendConnect(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(request(ctx, 0x01, destination));
        state = State.CONNECT;
    }

    private static ByteBuf request(ChannelHandlerContext ctx, int command, InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        ByteBuf b = ctx.alloc().buffer(6 + ip.length);
        b.writeByte(5).writeByte(command).writeByte(0).writeByte(ip.length == 4 ? 1 : 4).writeBytes(ip).writeShort(address.getPort());
        return b;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new ConnectFailure.Other("the proxy closed the connection during the SOCKS5 handshake (unexpected end of file)"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(new ConnectFailure.Other(OsErrors.describe(cause)));
    }

    private void fail(ConnectFailure failure) {
        result.completeExceptionally(new ConnectFailedException(failure));
    }

    private static String hostText(InetAddress a) {
        return io.netty.util.NetUtil.toAddressString(a);
    }

    private static String dns(InetSocketAddress a) {
        return dev.sluice.net.IpLiterals.format(a);
    }

    static String methodName(int method) {
        return switch (method) {
            case 0x01 -> "Gssapi";
            case 0xFF -> "NoAcceptableMethod";
            default -> "Other(" + method + ")";
        };
    }

    /** The reply code as the socksv5 crate names it, with the byte. */
    static String statusText(int rep) {
        String name = switch (rep) {
            case 1 -> "GeneralFailure";
            case 2 -> "ConnectionNotAllowed";
            case 3 -> "NetworkUnreachable";
            case 4 -> "HostUnreachable";
            case 5 -> "ConnectionRefused";
            case 6 -> "TtlExpired";
            case 7 -> "CommandNotSupported";
            case 8 -> "AddrTypeNotSupported";
            default -> "Unknown";
        };
        return name + String.format(" (reply 0x%02x)", rep);
    }

    static boolean isV4(InetAddress a) {
        return a instanceof Inet4Address;
    }
}
