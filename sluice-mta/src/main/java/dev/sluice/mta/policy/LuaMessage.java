package dev.sluice.mta.policy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.Scheduling;
import dev.sluice.mta.message.SpilledData;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaFunction;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.LuaTypes;
import dev.sluice.policy.kumo.LuaArgs;
import dev.sluice.policy.kumo.dkim.DkimSigner;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code msg} object of the reception events, with KumoMTA's message methods: {@code id}, {@code sender},
 * {@code recipient}, {@code recipient_list}, {@code get_meta}/{@code set_meta}, {@code get_data}/{@code set_data},
 * the header readers ({@code get_first_named_header_value}, {@code get_all_named_header_values},
 * {@code get_all_headers}, {@code from_header}, {@code to_header}, {@code get_address_header}), the header editors ({@code prepend_header},
 * {@code append_header}, {@code remove_all_named_headers}, {@code remove_x_headers}), {@code import_x_headers},
 * {@code queue_name}, {@code check_fix_conformance} ({@link Conformance}), {@code set_scheduling}/{@code import_scheduling_header} ({@link Scheduling}, kept in the meta)
 * and {@code dkim_sign} (prepends the signer's DKIM-Signature field). Header edits rewrite the
 * message data, so they are what is spooled and delivered.
 * Used by one Lua state at a time (the event's), like the message it wraps.
 */
public final class LuaMessage implements LuaObject, dev.sluice.policy.throttle.Delayable {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final Message message;
    private List<String> recipients;
    private volatile Instant delayedUntil;

    public LuaMessage(Message message) {
        this(message, List.of(message.recipient()));
    }

    /** The message of a whole transaction ({@code smtp_server_data}): {@code recipient_list} gives every recipient. */
    public LuaMessage(Message message, List<String> recipients) {
        this.message = message;
        this.recipients = List.copyOf(recipients);
    }

    public Message message() {
        return message;
    }

    /** {@code throttle:delay_message_if_throttled(msg)}: the message is due {@code delay} from now. */
    @Override
    public void delayBy(java.time.Duration delay) {
        delayedUntil = Instant.now().plus(delay);
    }

    /** Where {@link #delayBy} put the message's next attempt, or null when nothing did. */
    public Instant delayedUntil() {
        return delayedUntil;
    }

    @Override
    public String typeName() {
        return "Message";
    }

    @Override
    public String display() {
        return "Message(" + message.id() + ")";
    }

    @Override
    public Object index(Object key) {
        LuaFunction body = switch (String.valueOf(key)) {
            case "id" -> a -> message.id().toString();
            case "sender" -> a -> new EnvelopeAddress(message.sender());
            case "recipient" -> a -> new EnvelopeAddress(message.recipient());
            case "recipient_list" -> a -> recipients.stream().map(EnvelopeAddress::new).toList();
            case "set_sender" -> a -> {
                String address = envelope(LuaObject.arg(a, 0), "set_sender", true);
                message.setSender(address);
                return null;
            };
            case "set_recipient" -> a -> {
                Object arg = LuaObject.arg(a, 0);
                if (arg instanceof List<?> list) { // KumoMTA 2025.12: a list; Sluice keeps one recipient per message
                    if (list.size() != 1) {
                        throw new IllegalArgumentException("msg:set_recipient: Sluice keeps one recipient per message, "
                                + "so the list must hold exactly one address, got " + list.size());
                    }
                    arg = list.getFirst();
                }
                if (recipients.size() > 1) {
                    throw new IllegalArgumentException("msg:set_recipient: this message stands for the whole "
                            + "transaction (" + recipients.size() + " recipients); set it in smtp_server_message_received");
                }
                String address = envelope(arg, "set_recipient", false);
                message.setRecipient(address);
                recipients = List.of(address);
                return null;
            };
            case "set_meta" -> a -> {
                message.setMeta(string(a, 0, "set_meta", "key"), plain(LuaObject.arg(a, 1)));
                return null;
            };
            case "get_meta" -> a -> message.meta(string(a, 0, "get_meta", "key"));
            case "get_data" -> a -> text(message.data());
            case "set_data" -> a -> {
                message.setData(LuaBytes.of(LuaObject.arg(a, 0)));
                return null;
            };
            case "get_first_named_header_value" -> a -> {
                List<String> values = headers().values(string(a, 0, "get_first_named_header_value", "name"));
                return values.isEmpty() ? null : values.getFirst();
            };
            case "get_all_named_header_values" -> a -> headers().values(string(a, 0, "get_all_named_header_values", "name"));
            case "get_all_headers" -> a -> headers().fields().stream().map(f -> List.of(f.name(), f.value())).toList();
            case "from_header" -> a -> addressHeader("From");
            case "to_header" -> a -> addressHeader("To");
            case "get_address_header" -> a -> addressHeader(string(a, 0, "get_address_header", "name"));
            case "prepend_header", "append_header" -> a -> {
                String name = string(a, 0, (String) key, "name");
                String value = string(a, 1, (String) key, "value");
                HeaderBlock block = headers();
                String v = Boolean.TRUE.equals(LuaObject.arg(a, 2)) ? HeaderEncoding.encode(name, value, block.eol()) : value;
                if (key.equals("prepend_header")) {
                    block.prepend(block.field(name, v));
                } else {
                    block.append(block.field(name, v));
                }
                block.applyTo(message);
                return null;
            };
            case "remove_all_named_headers" -> a -> {
                String name = string(a, 0, "remove_all_named_headers", "name");
                edit(block -> block.removeIf(f -> f.named(name)));
                return null;
            };
            case "remove_x_headers" -> a -> {
                Set<String> names = names(LuaObject.arg(a, 0), "remove_x_headers");
                edit(block -> block.removeIf(f -> names == null ? HeaderBlock.isXHeader(f.name())
                        : names.contains(f.name().toLowerCase(Locale.ROOT))));
                return null;
            };
            case "import_x_headers" -> a -> {
                Set<String> names = names(LuaObject.arg(a, 0), "import_x_headers");
                for (HeaderBlock.Field f : headers().fields()) {
                    String lower = f.name().toLowerCase(Locale.ROOT);
                    if (names == null ? HeaderBlock.isXHeader(f.name()) : names.contains(lower)) {
                        message.setMeta(lower.replace('-', '_'), f.value());
                    }
                }
                return null;
            };
            case "queue_name" -> a -> QueueName.of(message).name();
            case "set_scheduling" -> a -> {
                Object table = LuaObject.arg(a, 0);
                if (table == null) {
                    Scheduling.store(message, null);
                    return null;
                }
                if (!(table instanceof Map<?, ?> map)) {
                    throw new IllegalArgumentException("msg:set_scheduling: expected a table or nil, got " + LuaArgs.typeName(table));
                }
                return schedule(map, "msg:set_scheduling: ");
            };
            case "import_scheduling_header" -> a -> {
                String name = string(a, 0, "import_scheduling_header", "name");
                List<String> values = headers().values(name);
                if (values.isEmpty()) {
                    return null;
                }
                String where = "msg:import_scheduling_header: header " + name + ": ";
                Map<?, ?> table;
                try {
                    table = JSON.readValue(values.getFirst(), Map.class);
                } catch (com.fasterxml.jackson.core.JacksonException e) {
                    throw new IllegalArgumentException(where + "not a JSON object: " + e.getOriginalMessage());
                }
                Object result = schedule(table, where);
                if (Boolean.TRUE.equals(LuaObject.arg(a, 1))) {
                    edit(block -> block.removeIf(f -> f.named(name)));
                }
                return result;
            };
            case "check_fix_conformance" -> a -> checkFixConformance(a);
            case "dkim_sign" -> a -> {
                if (!(LuaObject.arg(a, 0) instanceof DkimSigner signer)) {
                    throw new IllegalArgumentException("msg:dkim_sign: expected a signer from kumo.dkim.rsa_sha256_signer"
                            + " or kumo.dkim.ed25519_signer, got " + LuaArgs.typeName(LuaObject.arg(a, 0)));
                }
                // a large message's body is hashed from its file as it is read; the signed message keeps it there
                String signature = sign(signer);
                HeaderBlock block = headers();
                block.prepend(new HeaderBlock.Field("DKIM-Signature", signature.replace("\r\n", block.eol())));
                block.applyTo(message);
                return null;
            };
            default -> null;
        };
        return body == null ? null : LuaObject.method(this, body);
    }

    /**
     * {@code msg:check_fix_conformance(checks, fixes[, settings])}: "Message has conformance issues: A|B" when the
     * message has issues that are checked and not also to be fixed; otherwise fixes what {@code fixes} names and
     * returns nil. Unknown issue names raise.
     */
    private Object checkFixConformance(List<Object> a) {
        Set<Conformance.Issue> check = Conformance.parse(string(a, 0, "check_fix_conformance", "checks"));
        Set<Conformance.Issue> fix = Conformance.parse(string(a, 1, "check_fix_conformance", "fixes"));
        String messageId = null;
        if (LuaObject.arg(a, 2) instanceof Map<?, ?> settings) {
            for (Map.Entry<?, ?> e : settings.entrySet()) {
                switch (String.valueOf(e.getKey())) {
                    case "message_id" -> messageId = String.valueOf(e.getValue());
                    case "detect_encoding" -> {
                        if (Boolean.TRUE.equals(e.getValue())) {
                            throw new IllegalArgumentException("msg:check_fix_conformance: detect_encoding is not implemented"
                                    + " (8-bit text is declared UTF-8 when it is UTF-8, else encoded as it is)");
                        }
                    }
                    case "include_encodings", "exclude_encodings" -> { } // only used by detect_encoding
                    default -> throw new IllegalArgumentException("msg:check_fix_conformance: unknown setting '" + e.getKey() + "'");
                }
            }
        } else if (LuaObject.arg(a, 2) != null) {
            throw new IllegalArgumentException("msg:check_fix_conformance: settings must be a table");
        }
        Set<Conformance.Issue> found = Conformance.find(message.data());
        Set<Conformance.Issue> report = java.util.EnumSet.noneOf(Conformance.Issue.class);
        report.addAll(check);
        report.removeAll(fix); // what will be fixed is not reported
        report.retainAll(found);
        if (!report.isEmpty()) {
            return "Message has conformance issues: " + Conformance.names(report);
        }
        Set<Conformance.Issue> toFix = java.util.EnumSet.noneOf(Conformance.Issue.class);
        toFix.addAll(fix);
        toFix.retainAll(found);
        if (!toFix.isEmpty()) {
            if (messageId == null) {
                String domain = new EnvelopeAddress(message.sender().isEmpty() ? message.recipient() : message.sender()).domain();
                messageId = message.id() + "@" + (domain == null || domain.isEmpty() ? "localhost" : domain);
            }
            message.setData(Conformance.fix(message.data(), toFix, messageId, java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)));
        }
        return null;
    }

    /** Validates and stores the scheduling table; returns it in KumoMTA's table form. */
    private Map<String, Object> schedule(Map<?, ?> table, String where) {
        Scheduling scheduling;
        try {
            scheduling = Scheduling.parse(table);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage());
        }
        Scheduling.store(message, scheduling);
        return scheduling.toData();
    }

    /** The DKIM-Signature field for the message: its body streamed from its file when it is still there. */
    private String sign(DkimSigner signer) {
        SpilledData spilled = message.spilled();
        if (spilled == null) {
            return signer.sign(message.data(), Instant.now());
        }
        try {
            for (int n = 64 * 1024; ; n *= 4) {
                byte[] head = spilled.head(n);
                int start = DkimSigner.bodyStart(head);
                // the header section ended before these bytes did (or they are all of it)
                if (start < head.length || head.length == spilled.size()) {
                    return signer.sign(java.util.Arrays.copyOf(head, start), spilled.stream(start), Instant.now());
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("msg:dkim_sign: cannot read the received data: " + e.getMessage(), e);
        }
    }

    private HeaderBlock headers() {
        return HeaderBlock.of(message);
    }

    private void edit(java.util.function.ToIntFunction<HeaderBlock> change) {
        HeaderBlock block = headers();
        if (change.applyAsInt(block) > 0) {
            block.applyTo(message);
        }
    }

    private AddressHeader addressHeader(String name) {
        List<String> values = headers().values(name);
        return values.isEmpty() ? null : AddressHeader.parse(values.getFirst());
    }

    /** The data as a Lua string: text when it is valid UTF-8, else the exact bytes. */
    private static Object text(byte[] data) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return new LuaBytes(data);
        }
    }

    /** An address from a string or an EnvelopeAddress; {@code ""} (the null sender) only where {@code nullAllowed}. */
    private static String envelope(Object value, String method, boolean nullAllowed) {
        String text = value instanceof EnvelopeAddress e ? e.email() : value instanceof String str ? str : null;
        if (text == null) {
            throw new IllegalArgumentException("msg:" + method + ": expected an address (a string or an "
                    + "EnvelopeAddress), got " + LuaTypes.name(value));
        }
        if (text.startsWith("<") && text.endsWith(">")) {
            text = text.substring(1, text.length() - 1);
        }
        if (text.isEmpty() && nullAllowed) {
            return text;
        }
        int at = text.lastIndexOf('@');
        if (at <= 0 || at == text.length() - 1 || text.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("msg:" + method + ": '" + text + "' is not an email address");
        }
        return text;
    }

    private static String string(List<Object> args, int i, String method, String what) {
        Object v = LuaObject.arg(args, i);
        return switch (v) {
            case String s -> s;
            case LuaBytes b -> b.lossyText();
            case Number n -> String.valueOf(n);
            case null, default -> throw new IllegalArgumentException("msg:" + method + ": " + what
                    + " must be a string, got " + (v == null ? "nil" : v.getClass().getSimpleName()));
        };
    }

    /** The lower-cased header names of an optional list argument; null when absent (meaning every X- header). */
    private static Set<String> names(Object arg, String method) {
        if (arg == null) {
            return null;
        }
        if (!(arg instanceof List<?> list)) {
            if (arg instanceof Map<?, ?> m && m.isEmpty()) {
                return Set.of();
            }
            throw new IllegalArgumentException("msg:" + method + ": expected a list of header names");
        }
        return list.stream().map(n -> String.valueOf(n).toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    }

    /** Lua numbers arrive as Double; integral ones are kept as Long so that meta reads back as Lua integers. */
    static Object plain(Object value) {
        return switch (value) {
            case Double d when d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e15 -> d.longValue();
            case Float f -> plain(f.doubleValue());
            case Integer i -> i.longValue();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(plain(k)), plain(v)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                l.forEach(v -> out.add(plain(v)));
                yield out;
            }
            case EnvelopeAddress e -> e.email();
            case null, default -> value;
        };
    }
}
