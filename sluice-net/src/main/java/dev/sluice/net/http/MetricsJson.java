package dev.sluice.net.http;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DistributionDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;

/**
 * Writes a registry scrape as JSON in KumoMTA's {@code /metrics.json} shape, by hand (no JSON library in this
 * module): {@code {"name": {"help": "...", "type": "counter", "value": V}}} where V is
 * <ul>
 *   <li>the number itself for a metric without labels ({@code null} when it has no sample yet);</li>
 *   <li>{@code {"label": {"label value": number, ...}}} for a metric with one label;</li>
 *   <li>{@code [{"l1": "a", "l2": "b", "@": number}, ...]} for a metric with more labels.</li>
 * </ul>
 * A histogram's or summary's number is {@code {"count", "sum", "avg", "bucket": [[le, cumulative count], ...]}}
 * (KumoMTA's form; a summary's buckets are its quantiles, {@code [quantile, value]}). Names are the registered
 * ones, as KumoMTA's JSON shows them: a counter without the {@code _total} the text format adds
 * ({@code total_messages_delivered}); info metrics end in _info; help is left out when empty, as KumoMTA does.
 * Non-finite numbers become strings.
 */
final class MetricsJson {

    private MetricsJson() {}

    static String write(MetricSnapshots snapshots) {
        StringBuilder out = new StringBuilder(1024).append('{');
        boolean first = true;
        for (MetricSnapshot snapshot : snapshots) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, exposedName(snapshot)).append(":{");
            String help = snapshot.getMetadata().getHelp();
            if (help != null && !help.isEmpty()) {
                string(out.append("\"help\":"), help).append(',');
            }
            string(out.append("\"type\":"), type(snapshot)).append(",\"value\":");
            value(out, snapshot.getDataPoints());
            out.append('}');
        }
        return out.append('}').toString();
    }

    /** The value of one metric: a number, a map by its one label, or a list of labelled numbers. */
    private static void value(StringBuilder out, java.util.List<? extends DataPointSnapshot> points) {
        if (points.isEmpty()) {
            out.append("null");
            return;
        }
        int labels = points.get(0).getLabels().size();
        if (labels == 0) {
            number(out, points.get(0));
            return;
        }
        if (labels == 1) {
            string(out.append('{'), points.get(0).getLabels().getName(0)).append(":{");
        } else {
            out.append('[');
        }
        boolean first = true;
        for (DataPointSnapshot point : points) {
            if (!first) {
                out.append(',');
            }
            first = false;
            if (labels == 1) {
                string(out, point.getLabels().size() == 1 ? point.getLabels().getValue(0) : "").append(':');
                number(out, point);
                continue;
            }
            out.append('{');
            for (Label label : point.getLabels()) {
                string(out, label.getName()).append(':');
                string(out, label.getValue()).append(',');
            }
            number(out.append("\"@\":"), point);
            out.append('}');
        }
        out.append(labels == 1 ? "}}" : "]");
    }

    private static String exposedName(MetricSnapshot snapshot) {
        String name = snapshot.getMetadata().getPrometheusName();
        if (snapshot instanceof InfoSnapshot && !name.endsWith("_info")) {
            return name + "_info";
        }
        return name;
    }

    private static String type(MetricSnapshot snapshot) {
        return switch (snapshot) {
            case CounterSnapshot c -> "counter";
            case GaugeSnapshot g -> "gauge";
            case HistogramSnapshot h -> "histogram";
            case SummarySnapshot s -> "summary";
            case InfoSnapshot i -> "info";
            case StateSetSnapshot s -> "stateset";
            default -> "unknown";
        };
    }

    /** One data point's number (or KumoMTA's histogram object); a state set is its states, true or false. */
    private static void number(StringBuilder out, DataPointSnapshot point) {
        switch (point) {
            case CounterSnapshot.CounterDataPointSnapshot c -> number(out, c.getValue());
            case GaugeSnapshot.GaugeDataPointSnapshot g -> number(out, g.getValue());
            case UnknownSnapshot.UnknownDataPointSnapshot u -> number(out, u.getValue());
            case InfoSnapshot.InfoDataPointSnapshot i -> out.append(1);
            case StateSetSnapshot.StateSetDataPointSnapshot s -> {
                out.append('{');
                for (int i = 0; i < s.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    string(out, s.getName(i)).append(':').append(s.isTrue(i));
                }
                out.append('}');
            }
            case DistributionDataPointSnapshot d -> distribution(out, d);
            default -> out.append("null");
        }
    }

    private static void distribution(StringBuilder out, DistributionDataPointSnapshot d) {
        long count = d.hasCount() ? d.getCount() : 0;
        double sum = d.hasSum() ? d.getSum() : 0;
        out.append("{\"count\":").append(count);
        number(out.append(",\"sum\":"), sum);
        number(out.append(",\"avg\":"), count == 0 ? 0 : sum / count);
        out.append(",\"bucket\":[");
        boolean first = true;
        if (d instanceof HistogramSnapshot.HistogramDataPointSnapshot h && h.hasClassicHistogramData()) {
            long cumulative = 0; // cumulative like the text format, so a reader sees the same numbers in both
            for (ClassicHistogramBucket bucket : h.getClassicBuckets()) {
                cumulative += bucket.getCount();
                if (!first) {
                    out.append(',');
                }
                first = false;
                number(out.append('['), bucket.getUpperBound()).append(',').append(cumulative).append(']');
            }
        }
        if (d instanceof SummarySnapshot.SummaryDataPointSnapshot s) {
            for (Quantile q : s.getQuantiles()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                number(out.append('['), q.getQuantile()).append(',');
                number(out, q.getValue()).append(']');
            }
        }
        out.append("]}");
    }

    static StringBuilder number(StringBuilder out, double v) {
        if (Double.isNaN(v)) {
            return out.append("\"NaN\"");
        }
        if (Double.isInfinite(v)) {
            return out.append(v > 0 ? "\"+Inf\"" : "\"-Inf\"");
        }
        if (v == Math.rint(v) && Math.abs(v) < 9.007199254740992E15) {
            return out.append((long) v);
        }
        return out.append(v);
    }

    static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
