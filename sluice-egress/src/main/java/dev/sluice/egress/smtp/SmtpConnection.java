package dev.sluice.egress.smtp;

import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An open SMTP session: one transaction at a time, reusable after each completed one. The caller stops
 * reusing it at max_deliveries_per_connection ({@link #deliveries()}) and checks {@link #isUsable()}:
 * a timeout or a lost connection closes it, and after {@code idle} with no transaction the client sends
 * QUIT and closes it itself. Thread-safe: calls hop onto the channel's event loop.
 */
public final class SmtpConnection {
    private final SmtpWire wire;
    private final SmtpClientOptions options;
    private final SmtpResponse banner;
    private final EhloCapabilities capabilities;
    private final TlsInfo tls;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    // Event-loop state.
    private boolean busy;
    private boolean openOnServer;
    private volatile boolean quitting;
    private int transactions;
    private ScheduledFuture<?> idleTimer;
    private volatile int deliveries;

    SmtpConnection(SmtpWire wire, SmtpClientOptions options, SmtpResponse banner, EhloCapabilities capabilities, TlsInfo tls) {
        this.wire = wire;
        this.options = options;
        this.banner = banner;
        this.capabilities = capabilities;
        this.tls = tls;
        wire.channel().closeFuture().addListener(f -> closed.complete(null));
    }

    /** The 220 greeting. */
    public SmtpResponse banner() { return banner; }

    /** What the last EHLO advertised (after STARTTLS: the second EHLO); not ESMTP after a HELO fallback. */
    public EhloCapabilities capabilities() { return capabilities; }

    /** The TLS session, when STARTTLS was done. */
    public Optional<TlsInfo> tls() { return Optional.ofNullable(tls); }

    /** Transactions that reached the server (MAIL FROM sent) on this connection, whatever their outcome. */
    public int deliveries() { return deliveries; }

    /** True while the connection is open, not broken by a timeout/drop, and not quitting. */
    public boolean isUsable() {
        return wire.channel().isActive() && wire.dispatcher().brokenBy() == null && !quitting;
    }

    /** Completes when the channel has closed. */
    public CompletableFuture<Void> closeFuture() { return closed; }

    /**
     * Runs one transaction. The envelope may hold at most {@code maxRecipientsPerBatch} recipients (split
     * longer lists with {@link Envelope#batches(int)}), else the future fails with IllegalArgumentException;
     * a send while another runs fails with IllegalStateException. Every other outcome, including timeouts,
     * lost connections and local refusals, is a {@link TransactionResult} with one result per recipient.
     */
    /**
     * The next {@link #send}'s own properties for the trace's conn_meta (KumoMTA's {@code queue_name},
     * {@code routing_domain}, {@code tenant}, {@code campaign}; a null value removes one the previous message set).
     */
    public void traceMessage(Map<String, ?> meta) {
        SmtpClient.traceMeta(wire.channel(), meta);
    }

    public CompletableFuture<TransactionResult> send(Envelope envelope) {
        CompletableFuture<TransactionResult> f = new CompletableFuture<>();
        SmtpClient.traceMessage(wire.channel(), envelope);
        onLoop(() -> startSend(envelope, f));
        return f;
    }

    /**
     * Sends RSET now (e.g. to probe a connection before reuse). Completes with the server's reply, or with
     * a synthesized 421 "Sluice internal: ..." response after a timeout or on a dead connection; fails with
     * IllegalStateException only during a transaction.
     */
    public CompletableFuture<SmtpResponse> rset() {
        CompletableFuture<SmtpResponse> f = new CompletableFuture<>();
        onLoop(() -> {
            if (busy) {
                f.completeExceptionally(new IllegalStateException("a transaction is in progress"));
                return;
            }
            cancelIdleTimer();
            Step.of(wire.command("RSET", options.timeouts().rset()), "RSET").thenAccept(step -> {
                if (step.positive()) openOnServer = false;
                armIdleTimer();
                f.complete(step.response());
            });
        });
        return f;
    }

    /** Sends QUIT (waiting at most the rset timeout for its reply) and closes; completes once closed. */
    public CompletableFuture<Void> quit() {
        onLoop(() -> {
            if (quitting) return;
            quitting = true;
            cancelIdleTimer();
            if (!wire.channel().isActive()) return;
            wire.command("QUIT", options.timeouts().rset()).whenComplete((r, e) -> wire.channel().close());
        });
        return closed;
    }

    private void startSend(Envelope env, CompletableFuture<TransactionResult> f) {
        if (env.recipients().size() > options.maxRecipientsPerBatch()) {
            f.completeExceptionally(new IllegalArgumentException(env.recipients().size()
                    + " recipients exceed max_recipients_per_batch " + options.maxRecipientsPerBatch()
                    + "; split with Envelope.batches"));
            return;
        }
        if (busy) {
            f.completeExceptionally(new IllegalStateException("a transaction is already in progress on this connection"));
            return;
        }
        if (!isUsable()) {
            SmtpResponse broken = wire.dispatcher().brokenBy();
            String why = quitting ? "QUIT was sent" : broken != null ? broken.content() : "the channel is closed";
            f.complete(TransactionResult.all(env.recipients(),
                    new DeliveryResult.Transient(SyntheticResponses.unusable(null, why)), false));
            return;
        }
        SmtpResponse refusal = MailFromCommand.localRefusal(env, capabilities);
        if (refusal != null) {
            f.complete(TransactionResult.all(env.recipients(), new DeliveryResult.Permanent(refusal), false));
            return;
        }
        busy = true;
        cancelIdleTimer();
        boolean reset = openOnServer || (options.enableRset() && transactions > 0);
        CompletableFuture<Step> pre = reset ? Step.of(wire.command("RSET", options.timeouts().rset()), "RSET")
                : CompletableFuture.completedFuture(null);
        pre.thenCompose(rset -> {
            if (rset != null && !rset.positive()) {
                // The server's state is unknown: give up this connection, retry the message elsewhere.
                if (!rset.broken()) quit();
                return CompletableFuture.completedFuture(new Transaction.Outcome(TransactionResult.all(env.recipients(),
                        new DeliveryResult.Transient(rset.response()), false), false));
            }
            openOnServer = false;
            transactions++;
            deliveries++;
            return new Transaction(wire, options, capabilities, env).run();
        }).whenComplete((outcome, e) -> {
            busy = false;
            if (e != null) {
                // A bug, not a protocol outcome: do not reuse a connection in an unknown state.
                wire.channel().close();
                f.completeExceptionally(e);
                return;
            }
            openOnServer = outcome.openOnServer();
            armIdleTimer();
            f.complete(outcome.result());
        });
    }

    void armIdleTimer() {
        cancelIdleTimer();
        if (!isUsable()) return;
        idleTimer = wire.channel().eventLoop().schedule(() -> {
            if (!busy && wire.dispatcher().idle()) quit();
        }, options.timeouts().idle().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void onLoop(Runnable r) {
        if (wire.inEventLoop()) r.run(); else wire.channel().eventLoop().execute(r);
    }

    @Override
    public String toString() {
        return "SmtpConnection[" + wire.channel() + ", deliveries=" + deliveries + ", tls=" + (tls != null) + "]";
    }
}
