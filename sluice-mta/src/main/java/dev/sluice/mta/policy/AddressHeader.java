package dev.sluice.mta.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.policy.LuaObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KumoMTA's AddressHeader: a From/To header parsed into mailboxes (groups are flattened into their members).
 * {@code .user}, {@code .domain}, {@code .email}, {@code .name} need exactly one mailbox and raise otherwise;
 * {@code .list} holds every mailbox as an object with the same four fields; {@code tostring} is JSON.
 */
public record AddressHeader(List<Mailbox> list) implements LuaObject {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One mailbox: the display name (null when none) and the address. */
    public record Mailbox(String name, String email) implements LuaObject {
        @Override
        public String typeName() {
            return "Address";
        }

        @Override
        public Object index(Object key) {
            int at = email == null ? -1 : email.lastIndexOf('@');
            return switch (String.valueOf(key)) {
                case "name" -> name;
                case "email" -> email;
                case "user" -> at < 0 ? email : email.substring(0, at);
                case "domain" -> at < 0 ? null : email.substring(at + 1);
                default -> null;
            };
        }

        @Override
        public Object toData() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", name);
            out.put("address", email);
            return out;
        }

        @Override
        public String display() {
            try {
                return JSON.writeValueAsString(toData());
            } catch (Exception e) {
                return String.valueOf(email);
            }
        }
    }

    public AddressHeader {
        list = List.copyOf(list);
    }

    @Override
    public String typeName() {
        return "AddressHeader";
    }

    @Override
    public Object index(Object key) {
        String k = String.valueOf(key);
        if (k.equals("list")) {
            return list;
        }
        if (!List.of("name", "email", "user", "domain").contains(k)) {
            return null;
        }
        if (list.size() != 1) {
            throw new IllegalArgumentException("the address header holds " + list.size()
                    + " addresses, not one: use .list");
        }
        return list.getFirst().index(k);
    }

    @Override
    public Object toData() {
        return list.stream().map(Mailbox::toData).toList();
    }

    @Override
    public String display() {
        try {
            return JSON.writeValueAsString(toData());
        } catch (Exception e) {
            return list.toString();
        }
    }

    /** Parses an RFC 5322 address list: mailboxes {@code a@b}, {@code Name <a@b>}, groups {@code g: a@b, c@d;}. */
    public static AddressHeader parse(String value) {
        List<Mailbox> out = new ArrayList<>();
        StringBuilder phrase = new StringBuilder();
        String angle = null;
        int i = 0;
        int n = value.length();
        while (i <= n) {
            char c = i < n ? value.charAt(i) : ',';
            switch (c) {
                case '"' -> {
                    int j = i + 1;
                    StringBuilder q = new StringBuilder();
                    while (j < n && value.charAt(j) != '"') {
                        if (value.charAt(j) == '\\' && j + 1 < n) {
                            j++;
                        }
                        q.append(value.charAt(j++));
                    }
                    phrase.append(q);
                    i = j + 1;
                    continue;
                }
                case '(' -> { // comment
                    int depth = 0;
                    int j = i;
                    do {
                        char d = value.charAt(j);
                        if (d == '\\') {
                            j++;
                        } else if (d == '(') {
                            depth++;
                        } else if (d == ')') {
                            depth--;
                        }
                        j++;
                    } while (j < n && depth > 0);
                    i = j;
                    continue;
                }
                case '<' -> {
                    int end = value.indexOf('>', i);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated '<' in address header: " + value);
                    }
                    angle = value.substring(i + 1, end).strip();
                    i = end + 1;
                    continue;
                }
                case ':' -> { // group name: drop it
                    phrase.setLength(0);
                    angle = null;
                }
                case ',', ';' -> {
                    String p = phrase.toString().strip().replaceAll("\\s+", " ");
                    if (angle != null) {
                        out.add(new Mailbox(p.isEmpty() ? null : p, angle));
                    } else if (!p.isEmpty()) {
                        out.add(new Mailbox(null, p.replace(" ", "")));
                    }
                    phrase.setLength(0);
                    angle = null;
                }
                default -> phrase.append(c);
            }
            i++;
        }
        return new AddressHeader(out);
    }
}
