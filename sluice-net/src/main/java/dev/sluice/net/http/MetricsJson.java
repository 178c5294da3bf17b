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
 * Writes a registry scrape as JSON by hand (no JSON library in this module):
 * <pre>{"name": {"type": "counter", "help": "...", "samples": [{"labels": {"k": "v"}, "value": 3}]}}</pre>
 * Histograms and summaries carry count, sum and buckets / quantiles instead of value. Names are the ones the
 * text format shows (counters end in _total, info metrics in _info). Non-finite numbers become strings.
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
            String type = type(snapshot);
            string(out, exposedName(snapshot)).append(":{\"type\":");
            string(out, type).append(",\"help\":");
            string(out, snapshot.getMetadata().getHelp() == null ? "" : snapshot.getMetadata().getHelp());
            out.append(",\"samples\":[");
            boolean firstPoint = true;
            for (DataPointSnapshot point : snapshot.getDataPoints()) {
                if (!firstPoint) {
                    out.append(',');
                }
                firstPoint = false;
                point(out, point);
            }
            out.append("]}");
        }
        return out.append('}').toString();
    }

    private static String exposedName(MetricSnapshot snapshot) {
        String name = snapshot.getMetadata().getPrometheusName();
        if (snapshot instanceof CounterSnapshot && !name.endsWith("_total")) {
            return name + "_total";
        }
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

    private static void point(StringBuilder out, DataPointSnapshot point) {
        out.append("{\"labels\":{");
        boolean first = true;
        for (Label label : point.getLabels()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, label.getName()).append(':');
            string(out, label.getValue());
        }
        out.append('}');
        switch (point) {
            case CounterSnapshot.CounterDataPointSnapshot c -> number(out.append(",\"value\":"), c.getValue());
            case GaugeSnapshot.GaugeDataPointSnapshot g -> number(out.append(",\"value\":"), g.getValue());
            case UnknownSnapshot.UnknownDataPointSnapshot u -> number(out.append(",\"value\":"), u.getValue());
            case InfoSnapshot.InfoDataPointSnapshot i -> out.append(",\"value\":1");
            case StateSetSnapshot.StateSetDataPointSnapshot s -> {
                out.append(",\"states\":{");
                for (int i = 0; i < s.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    string(out, s.getName(i)).append(':').append(s.isTrue(i));
                }
                out.append('}');
            }
            case DistributionDataPointSnapshot d -> distribution(out, d);
            default -> { }
        }
        out.append('}');
    }

    private static void distribution(StringBuilder out, DistributionDataPointSnapshot d) {
        if (d.hasCount()) {
            out.append(",\"count\":").append(d.getCount());
        }
        if (d.hasSum()) {
            number(out.append(",\"sum\":"), d.getSum());
        }
        if (d instanceof HistogramSnapshot.HistogramDataPointSnapshot h && h.hasClassicHistogramData()) {
            // Cumulative like the text format, so a reader sees the same numbers in both.
            out.append(",\"buckets\":[");
            long cumulative = 0;
            boolean first = true;
            for (ClassicHistogramBucket bucket : h.getClassicBuckets()) {
                cumulative += bucket.getCount();
                if (!first) {
                    out.append(',');
                }
                first = false;
                number(out.append("{\"le\":"), bucket.getUpperBound()).append(",\"count\":").append(cumulative)
                        .append('}');
            }
            out.append(']');
        }
        if (d instanceof SummarySnapshot.SummaryDataPointSnapshot s) {
            out.append(",\"quantiles\":[");
            boolean first = true;
            for (Quantile q : s.getQuantiles()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                number(out.append("{\"quantile\":"), q.getQuantile());
                number(out.append(",\"value\":"), q.getValue()).append('}');
            }
            out.append(']');
        }
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
