package dev.sluice.egress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Sends one small message over a Connected channel, the way the SMTP client will use it. */
final class SmtpProbe {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Connected connected;

    private SmtpProbe(Connected connected) {
        this.connected = connected;
        connected.channel().pipeline().addLast(new LineBasedFrameDecoder(4096), new StringDecoder(StandardCharsets.US_ASCII),
                new StringEncoder(StandardCharsets.US_ASCII), new SimpleChannelInboundHandler<String>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, String line) {
                        lines.add(line);
                    }
                });
        connected.resume();
    }

    static void sendOne(Connected connected) throws Exception {
        SmtpProbe p = new SmtpProbe(connected);
        p.expect("220");
        p.command("EHLO probe.test", "250");
        p.command("MAIL FROM:<sender@example.test>", "250");
        p.command("RCPT TO:<rcpt@example.test>", "250");
        p.command("DATA", "354");
        p.command("Subject: probe\r\n\r\nhello\r\n.", "250");
        p.command("QUIT", "221");
        connected.channel().close().sync();
    }

    private void command(String text, String code) throws Exception {
        connected.channel().writeAndFlush(text + "\r\n");
        expect(code);
    }

    /** Reads lines up to the last line of a reply ("NNN ") and checks its code. */
    private void expect(String code) throws InterruptedException {
        while (true) {
            String line = lines.poll(60, TimeUnit.SECONDS); // waiting only; a lost reply shows up as null
            assertThat(line).as("reply to wait for " + code).isNotNull();
            if (line.length() >= 4 && line.charAt(3) == '-') continue;
            assertThat(line).startsWith(code);
            return;
        }
    }
}
