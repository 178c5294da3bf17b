package dev.sluice.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens one relayed session: straight to the target (the ceiling), through SOCKS5 CONNECT, or through
 * KumoMTA-style BIND(source)+CONNECT with sources taken round-robin.
 */
final class Dialer {

    enum Mode { DIRECT, CONNECT, BIND_CONNECT }

    private final Mode mode;
    private final InetSocketAddress proxy;
    private final List<InetAddress> sources;
    private final AtomicLong next = new AtomicLong();

    Dialer(Mode mode, InetSocketAddress proxy, List<InetAddress> sources) {
        if (mode != Mode.DIRECT && proxy == null) {
            throw new IllegalArgumentException(mode + " needs --proxy");
        }
        if (mode == Mode.BIND_CONNECT && sources.isEmpty()) {
            throw new IllegalArgumentException("BIND_CONNECT needs source addresses");
        }
        this.mode = mode;
        this.proxy = proxy;
        this.sources = List.copyOf(sources);
    }

    static Dialer fromArgs(Args args) throws UnknownHostException {
        Mode mode = Mode.valueOf(args.string("mode", "connect").toUpperCase().replace('-', '_').replace('+', '_'));
        String proxy = args.string("proxy", "");
        return new Dialer(mode, proxy.isEmpty() ? null : Endpoint.parse(proxy), sources(args.string("sources", "127.0.0.2-9")));
    }

    /** "127.0.0.2-9" → 127.0.0.2 … 127.0.0.9; or a comma list. */
    static List<InetAddress> sources(String spec) throws UnknownHostException {
        int dash = spec.lastIndexOf('-');
        if (dash > 0 && !spec.contains(",")) {
            String first = spec.substring(0, dash);
            int dot = first.lastIndexOf('.');
            int from = Integer.parseInt(first.substring(dot + 1));
            int to = Integer.parseInt(spec.substring(dash + 1));
            List<InetAddress> out = new java.util.ArrayList<>();
            for (int i = from; i <= to && i < 256; i++) {
                out.add(InetAddress.getByName(first.substring(0, dot + 1) + i));
            }
            return out;
        }
        List<InetAddress> out = new java.util.ArrayList<>();
        for (String s : spec.split(",")) {
            out.add(InetAddress.getByName(s.trim()));
        }
        return out;
    }

    Mode mode() {
        return mode;
    }

    /** Connects and finishes the SOCKS exchange; the caller owns (and closes) the channel. */
    SocketChannel open(InetSocketAddress target) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(mode == Mode.DIRECT ? target : proxy);
            if (mode != Mode.DIRECT) {
                Socks5Client.greet(ch);
                if (mode == Mode.BIND_CONNECT) {
                    InetAddress source = sources.get((int) (next.getAndIncrement() % sources.size()));
                    Socks5Client.request(ch, Socks5Client.CMD_BIND, new InetSocketAddress(source, 0));
                }
                Socks5Client.request(ch, Socks5Client.CMD_CONNECT, target);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }
}
