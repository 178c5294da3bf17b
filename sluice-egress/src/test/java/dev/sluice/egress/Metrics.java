package dev.sluice.egress;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** Reads one value out of a registry, as a scrape would show it. */
public final class Metrics {
    private Metrics() {}

    /** The value of {@code name} (counters with or without _total) with these label name/value pairs; 0 when absent. */
    public static double value(PrometheusRegistry registry, String name, String... labels) {
        for (MetricSnapshot s : registry.scrape()) {
            String n = s.getMetadata().getPrometheusName();
            if (!n.equals(name) && !(n + "_total").equals(name)) continue;
            for (DataPointSnapshot d : s.getDataPoints()) {
                boolean match = true;
                for (int i = 0; i < labels.length; i += 2) {
                    if (!labels[i + 1].equals(d.getLabels().get(labels[i]))) match = false;
                }
                if (!match) continue;
                if (d instanceof CounterSnapshot.CounterDataPointSnapshot c) return c.getValue();
                if (d instanceof GaugeSnapshot.GaugeDataPointSnapshot g) return g.getValue();
            }
        }
        return 0;
    }
}
