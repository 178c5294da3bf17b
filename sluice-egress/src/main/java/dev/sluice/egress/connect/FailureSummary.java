package dev.sluice.egress.connect;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The TransientFailure text when every address of a connection plan failed. Texts are KumoMTA's,
 * byte for byte (including the "KumoMTA internal" prefix), so operators' existing automation regexes
 * and alerting keep matching.
 */
public final class FailureSummary {
    public static final String PREFIX = "KumoMTA internal: failed to connect to any candidate hosts: ";

    /** Summary classes: set only when every failure shares one. */
    public enum SummaryClass {
        UnplumbedSource("All failures are related to having an unplumbed source address. "
                + "Are the network interfaces provisioned correctly? "),
        ProxyUnplumbedSource("All failures are related to the proxy server having an unplumbed source address. "
                + "Are the network interfaces provisioned correctly on the proxy? "),
        ProxyConnect("All failures are related to proxy connection issues. "
                + "Is the proxy infrastructure online and healthy? ");

        private final String text;

        SummaryClass(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private FailureSummary() {}

    /** The class of one failure, if it has one. */
    public static Optional<SummaryClass> classOf(ConnectFailure f) {
        return switch (f) {
            case ConnectFailure.BindError b -> b.unplumbed() ? Optional.of(SummaryClass.UnplumbedSource) : Optional.empty();
            case ConnectFailure.ProxyBindError p -> Optional.of(SummaryClass.ProxyUnplumbedSource);
            case ConnectFailure.ConnectError c -> c.isProxy() ? Optional.of(SummaryClass.ProxyConnect) : Optional.empty();
            case ConnectFailure.Other o -> Optional.empty();
        };
    }

    /** The shared class of all failures, or empty when they differ, any has none, or the list is empty. */
    public static Optional<SummaryClass> classify(List<ConnectFailure> failures) {
        if (failures.isEmpty()) return Optional.empty();
        Optional<SummaryClass> first = classOf(failures.getFirst());
        if (first.isEmpty()) return first;
        for (ConnectFailure f : failures) {
            if (!classOf(f).equals(first)) return Optional.empty();
        }
        return first;
    }

    /** {@code KumoMTA internal: failed to connect to any candidate hosts: <summary><messages joined by ", ">}. */
    public static String summarize(List<ConnectFailure> failures) {
        return PREFIX + classify(failures).map(SummaryClass::text).orElse("")
                + failures.stream().map(ConnectFailure::message).collect(Collectors.joining(", "));
    }
}
