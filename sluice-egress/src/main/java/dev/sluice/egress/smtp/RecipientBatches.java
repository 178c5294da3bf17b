package dev.sluice.egress.smtp;

import java.util.ArrayList;
import java.util.List;

/** Splits a recipient list into transactions of at most max_recipients_per_batch RCPTs, keeping order. */
public final class RecipientBatches {
    private RecipientBatches() {}

    public static List<List<String>> split(List<String> recipients, int maxPerBatch) {
        if (maxPerBatch < 1) throw new IllegalArgumentException("maxPerBatch must be >= 1");
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < recipients.size(); i += maxPerBatch) {
            out.add(List.copyOf(recipients.subList(i, Math.min(recipients.size(), i + maxPerBatch))));
        }
        return out;
    }
}
