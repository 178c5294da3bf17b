package dev.sluice.egress.delivery;

import dev.sluice.egress.connect.ConnectFailedException;
import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.connect.FailureSummary;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.DestinationPlanner.Plan;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.EnhancedStatusCode;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpOpenException;
import dev.sluice.egress.smtp.SmtpOptionsFactory;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.policy.egress.EgressSource;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The one owner of a delivery attempt's way to a server, for {@code sluice deliver} ({@link Deliverer}) and the MTA's
 * connections alike: tries the plan's destinations (MX hosts' addresses, or mx_list) in order over the source's route
 * (direct, SOCKS5, HAProxy), remembers each one's connect failure, opens the SMTP session on the first that connects,
 * and says what came of it as a {@link Result}. The texts of the attempts that never reached a server (a plan with no
 * destination, every destination failing to connect, a session that did not open) live here and nowhere else.
 * Which proxy candidates of a route failed recently is the {@link Connector}'s (its {@code RouteHealth}).
 */
public final class SessionOpener {
    /** The enhanced code of a message that has nowhere to go: no address, or only prohibited ones (KumoMTA's). */
    public static final EnhancedStatusCode NO_ROUTE_TRANSIENT = new EnhancedStatusCode(4, 4, 4);
    public static final EnhancedStatusCode NO_ROUTE_PERMANENT = new EnhancedStatusCode(5, 4, 4);

    /**
     * Called on the connection's event loop once a destination connected, before the session reads a byte: the
     * caller adds its handlers (a transcript) and watches the channel. {@code false} abandons the attempt (the
     * result is {@link Result.Abandoned}; the channel is left to the caller).
     */
    @FunctionalInterface
    public interface OnConnect {
        boolean connected(Connected connected, Destination destination);

        OnConnect ANY = (c, d) -> true;
    }

    /** What came of opening a session. */
    public sealed interface Result {
        /** The plan has no destination: no connection was tried. */
        record Unroutable(DeliveryResult result) implements Result {}

        /** Every destination failed to connect, each failure in the order tried. */
        record Unreachable(List<ConnectFailure> failures) implements Result {
            public DeliveryResult result() {
                return unreachable(failures);
            }
        }

        /** A destination connected and {@link OnConnect} declined it; no SMTP byte was read. */
        record Abandoned(Connected connected, Destination destination) implements Result {}

        /** A destination connected but the session did not open (banner, EHLO, STARTTLS); the channel is closed. */
        record Refused(Connected connected, Destination destination, DeliveryResult result,
                       List<ConnectFailure> failures) implements Result {}

        /** A session is open on {@code destination}; {@code failures} are the destinations tried before it. */
        record Opened(Connected connected, Destination destination, SmtpConnection smtp,
                      List<ConnectFailure> failures) implements Result {}
    }

    private final Connector connector;
    private final EventLoopGroup loops;
    private final String hostname;

    /**
     * @param loops    where the connections live (one loop per connection, taken in turn)
     * @param hostname EHLO name when neither the path nor the source gives one
     */
    public SessionOpener(Connector connector, EventLoopGroup loops, String hostname) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.loops = Objects.requireNonNull(loops, "loops");
        this.hostname = Objects.requireNonNull(hostname, "hostname");
    }

    /**
     * Opens a session for {@code source} over {@code route} on the first of the plan's destinations that connects.
     * Never fails: every way it can end is a {@link Result}.
     *
     * @param domain the recipient domain the plan is for (named in the no-address text)
     */
    public CompletableFuture<Result> open(EgressSource source, EgressRoute route, Plan plan, String domain,
                                          OnConnect onConnect) {
        Optional<DeliveryResult> nowhere = unroutable(plan, domain);
        if (nowhere.isPresent()) {
            return CompletableFuture.completedFuture(new Result.Unroutable(nowhere.get()));
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        tryFrom(0, source, route, plan, onConnect, new ArrayList<>(), result);
        return result;
    }

    private void tryFrom(int index, EgressSource source, EgressRoute route, Plan plan, OnConnect onConnect,
                         List<ConnectFailure> failures, CompletableFuture<Result> result) {
        if (index == plan.destinations().size()) {
            result.complete(new Result.Unreachable(List.copyOf(failures)));
            return;
        }
        Destination d = plan.destinations().get(index);
        connector.connect(route, d.address(), plan.path().timeouts().connect(), loops.next())
                .whenComplete((c, error) -> {
                    if (error != null) {
                        failures.add(ConnectFailedException.failureOf(error));
                        tryFrom(index + 1, source, route, plan, onConnect, failures, result);
                        return;
                    }
                    try {
                        converse(c, d, source, plan, onConnect, List.copyOf(failures), result);
                    } catch (RuntimeException bug) {
                        c.channel().close();
                        result.complete(new Result.Refused(c, d, sessionFailure(bug), List.copyOf(failures)));
                    }
                });
    }

    private void converse(Connected c, Destination d, EgressSource source, Plan plan, OnConnect onConnect,
                          List<ConnectFailure> failures, CompletableFuture<Result> result) {
        if (!onConnect.connected(c, d)) {
            result.complete(new Result.Abandoned(c, d));
            return;
        }
        var open = SmtpClient.open(c.channel(), SmtpOptionsFactory.forPath(source, plan.path(), hostname, d.host()));
        c.resume();
        open.whenComplete((smtp, error) -> result.complete(error != null
                // the SMTP client closed the channel
                ? new Result.Refused(c, d, sessionFailure(error), failures)
                : new Result.Opened(c, d, smtp, failures)));
    }

    /**
     * The result of a message whose plan has no destination, else empty: every address prohibited is permanent
     * (550 5.4.4), no address at all (or a failed lookup) is transient (451 4.4.4), KumoMTA's codes.
     */
    public static Optional<DeliveryResult> unroutable(Plan plan, String domain) {
        if (!plan.destinations().isEmpty()) return Optional.empty();
        if (!plan.prohibited().isEmpty()) {
            return Optional.of(new DeliveryResult.Permanent(new SmtpResponse(550, NO_ROUTE_PERMANENT,
                    plan.prohibitedText(), null)));
        }
        return Optional.of(new DeliveryResult.Transient(new SmtpResponse(451, NO_ROUTE_TRANSIENT,
                "no address to deliver to for " + domain
                        + (plan.lookupErrors().isEmpty() ? "" : ": " + String.join("; ", plan.lookupErrors())), null)));
    }

    /** Every destination failed to connect: one transient result summing up the failures. */
    public static DeliveryResult unreachable(List<ConnectFailure> failures) {
        return new DeliveryResult.Transient(new SmtpResponse(400, null, FailureSummary.summarize(failures), null));
    }

    /** The result of a session that failed to open or broke off (the server's reply when it gave one). */
    public static DeliveryResult sessionFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SmtpOpenException open) return open.asResult();
        return new DeliveryResult.Transient(new SmtpResponse(421, null, "Sluice internal: " + cause.getMessage(), null));
    }
}
