package dev.sluice.egress.smtp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches replies to the commands awaiting them, in order (which is also how PIPELINING replies come).
 * Each expectation's timer runs while it is the oldest one waiting, so a pipelined RCPT gets its full
 * rcpt_to timeout after the reply before it. A timeout or a closed channel fails every waiting command
 * with a {@link SmtpStepFailure} and closes the channel. Event-loop only.
 */
final class ReplyDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ReplyDispatcher.class);

    private record Expectation(String command, Duration timeout, CompletableFuture<SmtpResponse> future) {}

    private final ArrayDeque<Expectation> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private SmtpResponse brokenBy;
    private Throwable lastError;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** The reply to {@code command} (null = the banner), failing after {@code timeout} of being the oldest waiter. */
    CompletableFuture<SmtpResponse> expect(String command, Duration timeout) {
        assert ctx.executor().inEventLoop();
        CompletableFuture<SmtpResponse> f = new CompletableFuture<>();
        if (brokenBy != null) {
            f.completeExceptionally(new SmtpStepFailure(SyntheticResponses.unusable(command, brokenBy.content())));
            return f;
        }
        if (!ctx.channel().isActive()) {
            f.completeExceptionally(new SmtpStepFailure(SyntheticResponses.connectionLost(command, lastError)));
            return f;
        }
        waiting.add(new Expectation(command, timeout, f));
        if (waiting.size() == 1) armTimer();
        return f;
    }

    /** Why the connection can no longer be used, or null while it can. */
    SmtpResponse brokenBy() {
        return brokenBy;
    }

    boolean idle() {
        return waiting.isEmpty();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof SmtpReply reply)) {
            ctx.fireChannelRead(msg);
            return;
        }
        Expectation e = waiting.poll();
        if (e == null) {
            // e.g. "421 idle too long" while we held the connection for reuse: it is going away.
            log.debug("unsolicited SMTP reply {} on {}", reply, ctx.channel());
            brokenBy = SmtpResponse.of(reply, null);
            ctx.close();
            return;
        }
        cancelTimer();
        if (!waiting.isEmpty()) armTimer();
        e.future().complete(SmtpResponse.of(reply, e.command()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        Expectation head = waiting.peek();
        if (brokenBy == null) {
            brokenBy = head == null ? SyntheticResponses.closedWhileIdle(lastError)
                    : SyntheticResponses.connectionLost(head.command(), lastError);
        }
        failAll(null);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("SMTP client channel {} failed", ctx.channel(), cause);
        if (lastError == null) lastError = cause;
        ctx.close();
    }

    private void armTimer() {
        Expectation head = waiting.peek();
        timer = ctx.executor().schedule(() -> onTimeout(head), head.timeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTimeout(Expectation head) {
        if (waiting.peek() != head) return;
        SmtpResponse r = SyntheticResponses.timeout(head.command(), head.timeout());
        brokenBy = r;
        failAll(r);
        ctx.close();
    }

    /** Fails every waiter: with {@code r} for all, or each with its own "connection closed" text. */
    private void failAll(SmtpResponse r) {
        Expectation e;
        while ((e = waiting.poll()) != null) {
            SmtpResponse mine = r != null ? r : SyntheticResponses.connectionLost(e.command(), lastError);
            e.future().completeExceptionally(new SmtpStepFailure(mine));
        }
    }
}
