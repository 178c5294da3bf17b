package dev.sluice.mta.policy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaModule;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code kumo.make_message(sender, recipient, body)}: a message object that exists only in the calling Lua code,
 * with every method of the reception events' {@code msg} (KumoMTA's helpers make one to test-sign with their
 * DKIM configuration). Nothing is spooled or delivered: Sluice has no {@code kumo.inject_message} yet.
 */
public final class MakeMessage {
    private MakeMessage() {}

    public static LuaModule module() {
        return r -> r.kumoFunction("make_message", MakeMessage::make);
    }

    static LuaMessage make(List<Object> args) {
        String sender = text(args, 0, "sender");
        String recipient = text(args, 1, "recipient");
        if (args.size() < 3 || args.get(2) == null) {
            throw new ConfigException("kumo.make_message: argument #3 (body) must be a string, got nil");
        }
        byte[] body;
        try {
            body = LuaBytes.of(args.get(2));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("kumo.make_message: argument #3 (body): " + e.getMessage());
        }
        return new LuaMessage(new Message(MessageId.next(Instant.now()), sender, recipient, Map.of(), body));
    }

    private static String text(List<Object> args, int i, String what) {
        Object v = i < args.size() ? args.get(i) : null;
        if (!(v instanceof String s)) {
            throw new ConfigException("kumo.make_message: argument #" + (i + 1) + " (" + what
                    + ") must be an email address, got " + (v == null ? "nil" : v));
        }
        return s;
    }
}
