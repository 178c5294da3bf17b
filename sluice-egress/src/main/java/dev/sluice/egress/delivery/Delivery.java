package dev.sluice.egress.delivery;

import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.SourceAddress;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What became of one delivery attempt: a result per recipient, the route that carried it, and the SMTP
 * transcript. {@code source} and {@code destination} are null when no connection was made.
 *
 * @param results        per recipient, in envelope order
 * @param source         where the destination saw us come from ({address, server, protocol})
 * @param mxName         the MX host name of the destination used
 * @param destination    the address that answered
 * @param siteName       the site the destination belongs to
 * @param connectFailures failures of the hosts tried before (or instead of) the one that answered
 * @param transcript     the SMTP conversation with the destination that answered
 */
public record Delivery(Map<String, DeliveryResult> results, SourceAddress source, String mxName,
                       InetSocketAddress destination, String siteName, List<ConnectFailure> connectFailures,
                       List<String> transcript) {

    /** The same result for every recipient: nothing reached a server that could answer per recipient. */
    static Delivery allRecipients(Envelope envelope, DeliveryResult result, String site, List<ConnectFailure> failures) {
        var results = new LinkedHashMap<String, DeliveryResult>();
        envelope.recipients().forEach(r -> results.put(r, result));
        return new Delivery(results, null, null, null, site, List.copyOf(failures), List.of());
    }

    /** True when every recipient was delivered. */
    public boolean delivered() {
        return results.values().stream().allMatch(r -> r instanceof DeliveryResult.Delivered);
    }
}
