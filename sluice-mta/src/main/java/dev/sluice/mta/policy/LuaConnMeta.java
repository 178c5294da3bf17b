package dev.sluice.mta.policy;

import dev.sluice.mta.ingress.ConnectionMeta;
import dev.sluice.policy.LuaFunction;
import dev.sluice.policy.LuaObject;

/**
 * KumoMTA's connection metadata object, {@code conn_meta} of the SMTP events: {@code conn_meta:get_meta(key)} and
 * {@code conn_meta:set_meta(key, value)} over the session's {@link ConnectionMeta} (so a value set in
 * {@code smtp_server_ehlo} is there in {@code smtp_server_message_received}, and in the message meta). Indexing it
 * with a key ({@code conn_meta.received_from}) also reads the value, as the plain table Sluice passed before did.
 */
public final class LuaConnMeta implements LuaObject {
    private final ConnectionMeta meta;

    public LuaConnMeta(ConnectionMeta meta) {
        this.meta = meta;
    }

    @Override
    public String typeName() {
        return "ConnectionMeta";
    }

    @Override
    public Object index(Object key) {
        LuaFunction body = switch (String.valueOf(key)) {
            case "get_meta" -> a -> meta.get(name(a, "get_meta"));
            case "set_meta" -> a -> {
                meta.set(name(a, "set_meta"), LuaMessage.plain(LuaObject.arg(a, 1)));
                return null;
            };
            default -> null;
        };
        return body == null ? meta.get(String.valueOf(key)) : LuaObject.method(this, body);
    }

    @Override
    public Object toData() {
        return meta.snapshot();
    }

    @Override
    public String display() {
        return "ConnectionMeta" + meta.snapshot();
    }

    private static String name(java.util.List<Object> args, String method) {
        if (!(LuaObject.arg(args, 0) instanceof String s)) {
            throw new IllegalArgumentException("conn_meta:" + method + ": key must be a string");
        }
        return s;
    }
}
