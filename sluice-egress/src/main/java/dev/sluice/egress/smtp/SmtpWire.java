package dev.sluice.egress.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The channel with the reply decoder and dispatcher installed: writes command lines, hands back replies. */
final class SmtpWire {
    static final String DECODER = "smtp-reply-decoder";
    static final String DISPATCHER = "smtp-reply-dispatcher";

    private final Channel channel;
    private final SmtpReplyDecoder decoder;
    private final ReplyDispatcher dispatcher;

    private SmtpWire(Channel channel, SmtpReplyDecoder decoder, ReplyDispatcher dispatcher) {
        this.channel = channel;
        this.decoder = decoder;
        this.dispatcher = dispatcher;
    }

    /** Installs the handlers (event loop only). */
    static SmtpWire install(Channel channel) {
        SmtpReplyDecoder decoder = new SmtpReplyDecoder();
        ReplyDispatcher dispatcher = new ReplyDispatcher();
        channel.pipeline().addLast(DECODER, decoder).addLast(DISPATCHER, dispatcher);
        return new SmtpWire(channel, decoder, dispatcher);
    }

    /** Feeds bytes a proxy handshake read past its own reply, once the banner is awaited. */
    void feed(ByteBuf leftover) {
        if (leftover == null) return;
        if (leftover.isReadable()) channel.pipeline().fireChannelRead(leftover); else leftover.release();
    }

    Channel channel() { return channel; }

    SmtpReplyDecoder decoder() { return decoder; }

    ReplyDispatcher dispatcher() { return dispatcher; }

    boolean inEventLoop() { return channel.eventLoop().inEventLoop(); }

    /** Waits for an unsolicited reply (the banner). */
    CompletableFuture<SmtpResponse> expect(String command, Duration timeout) {
        return dispatcher.expect(command, timeout);
    }

    /** Sends one command line and waits for its reply. */
    CompletableFuture<SmtpResponse> command(String line, Duration timeout) {
        CompletableFuture<SmtpResponse> reply = dispatcher.expect(line, timeout);
        if (!reply.isDone()) channel.writeAndFlush(lineBuf(line));
        return reply;
    }

    /** PIPELINING: all lines in one write, one reply future per line in the same order. */
    List<CompletableFuture<SmtpResponse>> pipeline(List<String> lines, List<Duration> timeouts) {
        ByteBuf out = channel.alloc().buffer();
        List<CompletableFuture<SmtpResponse>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            replies.add(dispatcher.expect(lines.get(i), timeouts.get(i)));
            out.writeCharSequence(lines.get(i), StandardCharsets.UTF_8);
            out.writeByte('\r').writeByte('\n');
        }
        channel.writeAndFlush(out);
        return replies;
    }

    /** Raw bytes (the dot-stuffed message) followed by waiting for the reply to {@code command}. */
    CompletableFuture<SmtpResponse> send(ByteBuf data, String command, Duration timeout) {
        CompletableFuture<SmtpResponse> reply = dispatcher.expect(command, timeout);
        if (reply.isDone()) data.release(); else channel.writeAndFlush(data);
        return reply;
    }

    private static ByteBuf lineBuf(String line) {
        return Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.UTF_8);
    }
}
