package dev.sluice.mta.dispatch;

import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.QueueProtocol;
import java.time.Duration;

/** Hands each ready message to the dispatch of its queue's protocol: SMTP or the policy's custom_lua. */
public final class ProtocolDispatch implements Dispatch {
    private final Dispatch smtp;
    private final Dispatch lua;

    public ProtocolDispatch(Dispatch smtp, Dispatch lua) {
        this.smtp = smtp;
        this.lua = lua;
    }

    /** The SMTP side (its ready queues and metrics). */
    public Dispatch smtp() {
        return smtp;
    }

    @Override
    public void submit(ReadyMessage message) {
        switch (message.protocol()) {
            case QueueProtocol.Smtp s -> smtp.submit(message);
            case QueueProtocol.CustomLua l -> lua.submit(message);
        }
    }

    @Override
    public void readyHold(java.util.function.Predicate<String> held) {
        smtp.readyHold(held);
        lua.readyHold(held);
    }

    @Override
    public java.util.List<ReadyMessage> withdraw(java.util.function.Predicate<ReadyMessage> which) {
        var out = new java.util.ArrayList<>(smtp.withdraw(which));
        out.addAll(lua.withdraw(which));
        return out;
    }

    @Override
    public java.util.List<ReadyMessage> outstanding() {
        var out = new java.util.ArrayList<>(smtp.outstanding());
        out.addAll(lua.outstanding());
        return out;
    }

    @Override
    public void wake() {
        smtp.wake();
        lua.wake();
    }

    @Override
    public int inFlight() {
        return smtp.inFlight() + lua.inFlight();
    }

    @Override
    public void drain(Duration timeout) {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        lua.drain(timeout);
        smtp.drain(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    @Override
    public void close() {
        try {
            lua.close();
        } finally {
            smtp.close();
        }
    }
}
