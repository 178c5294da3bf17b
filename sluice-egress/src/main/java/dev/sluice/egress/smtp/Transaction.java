package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.SmtpTimeouts;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One MAIL/RCPT.../DATA/final-dot exchange, pipelined or step by step; every outcome becomes per-recipient
 * results. Only recipients accepted at RCPT get the final-dot result. Event-loop only.
 */
final class Transaction {
    /** The results, and whether the server still holds an open transaction (MAIL accepted, no final dot): RSET needed. */
    record Outcome(TransactionResult result, boolean openOnServer) {}

    private final SmtpWire wire;
    private final SmtpTimeouts t;
    private final Envelope env;
    private final boolean pipelined;
    private final String mailLine;
    private final List<String> rcptLines;

    Transaction(SmtpWire wire, SmtpClientOptions options, EhloCapabilities caps, Envelope env) {
        this.wire = wire;
        this.t = options.timeouts();
        this.env = env;
        this.pipelined = options.enablePipelining() && caps.pipelining();
        this.mailLine = MailFromCommand.line(env, caps);
        this.rcptLines = env.recipients().stream().map(r -> "RCPT TO:<" + r + ">").toList();
    }

    CompletableFuture<Outcome> run() {
        return pipelined ? runPipelined() : runStepwise();
    }

    private CompletableFuture<Outcome> runPipelined() {
        List<String> lines = new ArrayList<>();
        List<Duration> timeouts = new ArrayList<>();
        lines.add(mailLine);
        timeouts.add(t.mailFrom());
        for (String r : rcptLines) {
            lines.add(r);
            timeouts.add(t.rcptTo());
        }
        lines.add("DATA");
        timeouts.add(t.data());
        List<CompletableFuture<Step>> steps = new ArrayList<>();
        var replies = wire.pipeline(lines, timeouts);
        for (int i = 0; i < replies.size(); i++) steps.add(Step.of(replies.get(i), lines.get(i)));
        return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<Step> s = steps.stream().map(CompletableFuture::join).toList();
            return afterEnvelope(s.getFirst(), s.subList(1, s.size() - 1), s.getLast());
        });
    }

    private CompletableFuture<Outcome> runStepwise() {
        return Step.of(wire.command(mailLine, t.mailFrom()), mailLine).thenCompose(mail -> {
            if (!mail.positive()) return afterEnvelope(mail, List.of(), null);
            return rcpts(0, new ArrayList<>()).thenCompose(rcpts -> {
                boolean anyAccepted = rcpts.stream().anyMatch(Step::positive);
                boolean anyBroken = rcpts.stream().anyMatch(Step::broken);
                if (!anyAccepted || anyBroken) return afterEnvelope(mail, rcpts, null);
                return Step.of(wire.command("DATA", t.data()), "DATA").thenCompose(data -> afterEnvelope(mail, rcpts, data));
            });
        });
    }

    /** RCPTs one at a time, stopping at the first timeout or lost connection. */
    private CompletableFuture<List<Step>> rcpts(int i, List<Step> done) {
        if (i == rcptLines.size()) return CompletableFuture.completedFuture(done);
        return Step.of(wire.command(rcptLines.get(i), t.rcptTo()), rcptLines.get(i)).thenCompose(s -> {
            done.add(s);
            return s.broken() ? CompletableFuture.completedFuture(done) : rcpts(i + 1, done);
        });
    }

    /** data is null when DATA was not sent (stepwise, nobody accepted, or a step broke). */
    private CompletableFuture<Outcome> afterEnvelope(Step mail, List<Step> rcpts, Step data) {
        int n = env.recipients().size();
        DeliveryResult[] res = new DeliveryResult[n];
        if (!mail.positive()) {
            DeliveryResult r = mail.broken() ? new DeliveryResult.Transient(mail.response()) : DeliveryResult.failure(mail.response());
            java.util.Arrays.fill(res, r);
            return endStrayData(data, false).thenApply(open -> outcome(res, open));
        }
        List<Integer> accepted = new ArrayList<>();
        Step broken = null;
        for (int i = 0; i < n; i++) {
            if (i >= rcpts.size()) {
                res[i] = new DeliveryResult.Transient(broken.response()); // never sent: the connection broke first
                continue;
            }
            Step r = rcpts.get(i);
            if (r.broken()) {
                if (broken == null) broken = r;
                res[i] = new DeliveryResult.Transient(r.response());
            } else if (r.positive()) {
                accepted.add(i);
            } else {
                res[i] = DeliveryResult.failure(r.response());
            }
        }
        if (broken == null && data != null && data.broken()) broken = data;
        if (broken != null) {
            for (int i : accepted) res[i] = new DeliveryResult.Transient(broken.response());
            return CompletableFuture.completedFuture(outcome(res, false));
        }
        if (accepted.isEmpty() || data == null) return endStrayData(data, true).thenApply(open -> outcome(res, open));
        if (data.response().code() != 354) {
            for (int i : accepted) res[i] = DeliveryResult.failure(data.response());
            return CompletableFuture.completedFuture(outcome(res, true));
        }
        var body = DotStuffer.encode(env.message(), wire.channel().alloc());
        return Step.of(wire.send(body, ".", t.dataDot()), ".").thenApply(dot -> {
            for (int i : accepted) {
                SmtpResponse r = dot.response();
                res[i] = dot.broken() ? new DeliveryResult.Transient(r)
                        : r.code() / 100 == 2 ? new DeliveryResult.Delivered(r) : DeliveryResult.failure(r);
            }
            return outcome(res, false);
        });
    }

    /**
     * A pipelined DATA the server answered with 354 although MAIL or every RCPT failed: end it with a lone
     * dot (RFC 2920 §3.1) so the session stays in step. Completes with whether a transaction may remain open.
     */
    private CompletableFuture<Boolean> endStrayData(Step data, boolean openOnServer) {
        if (data == null || data.broken() || data.response().code() != 354) return CompletableFuture.completedFuture(openOnServer);
        var dot = Unpooled.copiedBuffer(".\r\n", StandardCharsets.US_ASCII);
        return Step.of(wire.send(dot, ".", t.dataDot()), ".").thenApply(s -> true);
    }

    private Outcome outcome(DeliveryResult[] res, boolean open) {
        List<RecipientResult> out = new ArrayList<>();
        for (int i = 0; i < res.length; i++) out.add(new RecipientResult(env.recipients().get(i), res[i]));
        return new Outcome(new TransactionResult(out, pipelined), open);
    }
}
