package dev.sluice.mta.policy;

import dev.sluice.policy.LuaObject;

/**
 * KumoMTA's EnvelopeAddress: the envelope sender or a recipient as Lua sees it, with {@code .user},
 * {@code .domain} and {@code .email}; {@code tostring(address)} is the address. Unlike KumoMTA's, it can
 * also be concatenated with a string ({@code 'to ' .. msg:recipient()}), and two addresses compare equal
 * when their addresses are equal. The null sender has an empty user and domain.
 */
public record EnvelopeAddress(String email) implements LuaObject {
    public EnvelopeAddress {
        email = email == null ? "" : email;
    }

    public String user() {
        int at = email.lastIndexOf('@');
        return at < 0 ? email : email.substring(0, at);
    }

    public String domain() {
        int at = email.lastIndexOf('@');
        return at < 0 ? "" : email.substring(at + 1);
    }

    @Override
    public String typeName() {
        return "EnvelopeAddress";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "user" -> user();
            case "domain" -> domain();
            case "email" -> email;
            default -> null;
        };
    }

    @Override
    public String display() {
        return email;
    }

    @Override
    public Object toData() {
        return email;
    }

    @Override
    public Object operator(String op, Object left, Object right) {
        return switch (op) {
            case "eq" -> left instanceof EnvelopeAddress a && right instanceof EnvelopeAddress b && a.email.equals(b.email);
            case "concat" -> text(left) + text(right);
            default -> throw new IllegalArgumentException("attempt to perform '" + op + "' on an EnvelopeAddress value");
        };
    }

    private static String text(Object v) {
        return switch (v) {
            case LuaObject o -> o.display();
            case String s -> s;
            case Number n -> String.valueOf(n);
            case null, default -> throw new IllegalArgumentException(
                    "attempt to concatenate an EnvelopeAddress with a " + (v == null ? "nil" : "non-string") + " value");
        };
    }
}
