package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The client's three SOCKS5 messages (RFC 1928 sections 3 and 4, RFC 1929 section 2) parsed straight from the
 * cumulated input. Each method looks at the bytes from the reader index on: while the message is incomplete it
 * returns null and consumes nothing; a complete message is consumed and returned; a malformed one gives
 * {@link Malformed} and consumes everything readable (nothing after it is used).
 */
final class Socks5Parser {
    private Socks5Parser() {}

    /** What a complete message parsed into. */
    sealed interface Parsed permits Greeting, Credentials, Request, Malformed {}

    /** VER 5, NMETHODS (1-255), METHODS. */
    record Greeting(byte[] methods) implements Parsed {
        boolean offers(int method) {
            for (byte m : methods) {
                if ((m & 0xff) == method) {
                    return true;
                }
            }
            return false;
        }

        /** The methods as {@code [0x00, 0x02]}, for log lines. */
        String methodsText() {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < methods.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(String.format("0x%02x", methods[i] & 0xff));
            }
            return sb.append(']').toString();
        }
    }

    /** RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD; both strictly UTF-8. */
    record Credentials(String username, String password) implements Parsed {}

    /**
     * VER 5, CMD, RSV, ATYP, DST.ADDR, DST.PORT. {@code address} is set for IPv4 and IPv6, {@code domain} (its octets
     * as ISO-8859-1) for a domain name.
     */
    record Request(int command, int addressType, InetAddress address, String domain, int port) implements Parsed {}

    /** Not a message we can take. {@code addressType}: the address type was unknown (reply 0x08, not 0x01). */
    record Malformed(String reason, boolean addressType) implements Parsed {}

    static final int CMD_CONNECT = 1, CMD_BIND = 2;
    static final int ATYP_IPV4 = 1, ATYP_DOMAIN = 3, ATYP_IPV6 = 4;

    static Parsed greeting(ByteBuf in) {
        Malformed bad = notVersion5(in);
        if (bad != null) {
            return bad;
        }
        int n = in.readableBytes();
        int start = in.readerIndex();
        if (n < 2) {
            return null;
        }
        int count = in.getUnsignedByte(start + 1);
        if (count == 0) {
            return malformed(in, "no authentication methods", false);
        }
        if (n < 2 + count) {
            return null;
        }
        byte[] methods = new byte[count];
        in.getBytes(start + 2, methods);
        in.skipBytes(2 + count);
        return new Greeting(methods);
    }

    static Parsed credentials(ByteBuf in) {
        int n = in.readableBytes();
        if (n < 2) {
            return null;
        }
        int start = in.readerIndex();
        if (in.getUnsignedByte(start) != 1) {
            return wrongVersion(in, "unsupported username/password subnegotiation version ", "");
        }
        int ulen = in.getUnsignedByte(start + 1);
        if (n < 3 + ulen) {
            return null;
        }
        int plen = in.getUnsignedByte(start + 2 + ulen);
        if (n < 3 + ulen + plen) {
            return null;
        }
        String user;
        String password;
        try {
            user = utf8(in, start + 2, ulen);
            password = utf8(in, start + 3 + ulen, plen);
        } catch (CharacterCodingException e) {
            return malformed(in, "username or password is not valid UTF-8", false);
        }
        in.skipBytes(3 + ulen + plen);
        return new Credentials(user, password);
    }

    static Parsed request(ByteBuf in) {
        Malformed bad = notVersion5(in);
        if (bad != null) {
            return bad;
        }
        int n = in.readableBytes();
        int start = in.readerIndex();
        if (n < 4) {
            return null;
        }
        int command = in.getUnsignedByte(start + 1);
        int atyp = in.getUnsignedByte(start + 3);
        int addressLength;
        int addressStart = start + 4;
        switch (atyp) {
            case ATYP_IPV4 -> addressLength = 4;
            case ATYP_IPV6 -> addressLength = 16;
            case ATYP_DOMAIN -> {
                if (n < 5) {
                    return null;
                }
                addressLength = in.getUnsignedByte(start + 4);
                addressStart++;
            }
            default -> {
                return malformed(in, "unsupported address type: " + atyp, true);
            }
        }
        int length = addressStart - start + addressLength + 2;
        if (n < length) {
            return null;
        }
        int port = in.getUnsignedShort(addressStart + addressLength);
        InetAddress address = null;
        String domain = null;
        if (atyp == ATYP_DOMAIN) {
            domain = in.toString(addressStart, addressLength, StandardCharsets.ISO_8859_1);
        } else {
            byte[] ip = new byte[addressLength];
            in.getBytes(addressStart, ip);
            try {
                address = InetAddress.getByAddress(ip);
            } catch (UnknownHostException e) {
                throw new AssertionError(e); // 4 or 16 bytes are always an address
            }
        }
        in.skipBytes(length);
        return new Request(command, atyp, address, domain, port);
    }

    /** A greeting or request whose first byte (VER) is there and is not 5; null otherwise. */
    private static Malformed notVersion5(ByteBuf in) {
        return in.isReadable() && in.getUnsignedByte(in.readerIndex()) != 5
                ? wrongVersion(in, "unsupported version: ", " (expected: 5)") : null;
    }

    /** The first byte (VER) is not the one this message has: the reason names it. */
    private static Malformed wrongVersion(ByteBuf in, String before, String after) {
        return malformed(in, before + in.getUnsignedByte(in.readerIndex()) + after, false);
    }

    private static Malformed malformed(ByteBuf in, String reason, boolean addressType) {
        in.skipBytes(in.readableBytes());
        return new Malformed(reason, addressType);
    }

    private static String utf8(ByteBuf in, int index, int length) throws CharacterCodingException {
        if (length == 0) {
            return "";
        }
        ByteBuffer bytes = in.nioBuffer(index, length);
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(bytes).toString();
    }
}
