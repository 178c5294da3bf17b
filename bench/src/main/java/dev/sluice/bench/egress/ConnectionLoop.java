package dev.sluice.bench.egress;

import dev.sluice.egress.connect.ConnectFailedException;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpClientOptions;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.TransactionResult;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * One of the load's connections, as the MTA's dispatcher would run it: connect through the route, open
 * SMTP, send messages back to back, QUIT after {@code maxDeliveries} and connect again, until the phase
 * has no message left. Everything runs on one event loop, driven by the futures of the egress layer.
 */
final class ConnectionLoop {
    /** Consecutive failed connects/opens after which this connection gives up (the phase then reports them). */
    private static final int GIVE_UP_AFTER = 5;

    private final Connector connector;
    private final EgressRoute route;
    private final InetSocketAddress target;
    private final SmtpClientOptions options;
    private final Envelope envelope;
    private final int maxDeliveries;
    private final EventLoop loop;
    private final PhaseStats stats;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private int failuresInARow;

    ConnectionLoop(Connector connector, EgressRoute route, InetSocketAddress target, SmtpClientOptions options,
                   Envelope envelope, int maxDeliveries, EventLoop loop, PhaseStats stats) {
        this.connector = connector;
        this.route = route;
        this.target = target;
        this.options = options;
        this.envelope = envelope;
        this.maxDeliveries = maxDeliveries;
        this.loop = loop;
        this.stats = stats;
    }

    /** Starts; the future completes when this connection has stopped (never exceptionally). */
    CompletableFuture<Void> start() {
        loop.execute(this::connect);
        return done;
    }

    private void connect() {
        if (!stats.moreToSend()) {
            done.complete(null);
            return;
        }
        connector.connect(route, target, Duration.ofSeconds(10), loop).whenComplete((connected, error) -> {
            if (error != null) {
                stats.connectFailures.incrementAndGet();
                failed("connect: " + ConnectFailedException.failureOf(error).message());
                return;
            }
            stats.connections.incrementAndGet();
            CompletableFuture<SmtpConnection> open = SmtpClient.open(connected.channel(), options);
            connected.resume();
            open.whenComplete((smtp, e) -> {
                if (e != null) {
                    stats.openFailures.incrementAndGet();
                    failed("open: " + rootMessage(e));
                    return;
                }
                failuresInARow = 0;
                sendNext(smtp);
            });
        });
    }

    private void failed(String why) {
        stats.error(route.sourceName() + " " + why);
        if (++failuresInARow >= GIVE_UP_AFTER) {
            done.complete(null);
        } else {
            loop.schedule(this::connect, 100, TimeUnit.MILLISECONDS);
        }
    }

    private void sendNext(SmtpConnection smtp) {
        if (!smtp.isUsable()) {
            loop.execute(this::connect);
            return;
        }
        if (smtp.deliveries() >= maxDeliveries) {
            smtp.quit().whenComplete((v, e) -> loop.execute(this::connect));
            return;
        }
        if (!stats.claim()) {
            smtp.quit().whenComplete((v, e) -> done.complete(null));
            return;
        }
        smtp.send(envelope).whenComplete((result, e) -> {
            if (e != null) {
                stats.transientFailures.incrementAndGet();
                stats.error("send: " + rootMessage(e));
            } else {
                count(result);
            }
            // hop through the loop so a chain of already-completed futures cannot grow the stack
            loop.execute(() -> sendNext(smtp));
        });
    }

    private void count(TransactionResult result) {
        DeliveryResult r = result.recipients().getFirst().result();
        switch (r) {
            case DeliveryResult.Delivered d -> {
                stats.delivered.incrementAndGet();
                stats.bytes.addAndGet(envelope.message().length);
            }
            case DeliveryResult.Transient t -> {
                stats.transientFailures.incrementAndGet();
                stats.error("transient: " + t.response());
            }
            case DeliveryResult.Permanent p -> {
                stats.permanentFailures.incrementAndGet();
                stats.error("permanent: " + p.response());
            }
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c.getClass().getSimpleName() + ": " + c.getMessage();
    }
}
