package dev.sluice.mta.log;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.netty.util.NetUtil;
import java.net.InetAddress;

/**
 * The other side of the conversation: for delivery the MX name and the address connected to, for reception the
 * EHLO name and the client's address.
 */
@JsonPropertyOrder({"name", "addr"})
public record PeerAddress(@JsonProperty("name") String name, @JsonProperty("addr") String addr) {

    public static PeerAddress of(String name, InetAddress addr) {
        return new PeerAddress(name == null ? "" : name, NetUtil.toAddressString(addr));
    }
}
