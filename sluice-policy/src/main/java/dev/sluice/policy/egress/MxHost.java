package dev.sluice.policy.egress;

import dev.sluice.net.IpLiterals;



import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One {@code mx_list} entry: {@code 'host'}, {@code 'host:port'}, {@code '[ip]'}, {@code '[ip]:port'},
 * a bare IP, or {@code {name = 'label', addr = 'ip[:port]'}}.
 *
 * @param name    label for the site name and logs (the entry as written, or {@code name} of the table form)
 * @param host    host name to resolve (A/AAAA, not MX), or the IP literal
 * @param address the address when {@code host} is an IP literal
 * @param port    the port given in the entry; else the path's smtp_port applies
 */
public record MxHost(String name, String host, Optional<InetAddress> address, OptionalInt port) {
    static final Set<String> TABLE_KEYS = Set.of("name", "addr");

    /** @throws ConfigException naming {@code where} */
    public static MxHost parse(String where, Object raw) {
        if (raw instanceof String s) {
            return fromString(where, s, s);
        }
        if (raw instanceof Map<?, ?>) {
            ConfigTable t = ConfigTable.of(ConfigSchema.of(where, TABLE_KEYS, Set.of()), raw);
            String addr = t.requireString("addr");
            MxHost parsed = fromString(where, addr, addr);
            if (parsed.address.isEmpty()) {
                throw new ConfigException(where + ": key 'addr' must be an IP address with an optional port, got '" + addr + "'");
            }
            return new MxHost(t.requireString("name"), parsed.host, parsed.address, parsed.port);
        }
        throw new ConfigException(where + ": expected 'host', 'host:port', '[ip]' or {name = ..., addr = ...}");
    }

    private static MxHost fromString(String where, String label, String text) {
        InetAddress bare = IpLiterals.parse(text).orElse(null);
        if (bare != null) {
            return new MxHost(label, bare.getHostAddress(), Optional.of(bare), OptionalInt.empty());
        }
        if (text.startsWith("[") && text.endsWith("]")) {
            InetAddress ip = IpLiterals.parse(text.substring(1, text.length() - 1)).orElse(null);
            if (ip == null) {
                throw new ConfigException(where + ": invalid IP address in '" + text + "'");
            }
            return new MxHost(label, ip.getHostAddress(), Optional.of(ip), OptionalInt.empty());
        }
        if (text.contains(":")) {
            try {
                HostPort hp = HostPort.parse(text);
                return new MxHost(label, hp.host(), hp.address(), OptionalInt.of(hp.port()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": " + e.getMessage());
            }
        }
        if (!HostPort.isValidHostname(text)) {
            throw new ConfigException(where + ": invalid hostname '" + text + "'");
        }
        return new MxHost(label, text, Optional.empty(), OptionalInt.empty());
    }
}
