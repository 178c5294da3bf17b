package dev.sluice.cli;

import dev.sluice.net.Hostnames;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.RecipientResult;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpClientOptions;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.egress.smtp.TransactionResult;
import dev.sluice.net.Transports;
import dev.sluice.policy.egress.TlsMode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice inject}: send test messages to an MTA over SMTP with the egress SMTP client. */
@Command(
        name = "inject",
        header = "Send test messages over SMTP to an MTA such as `sluice mta` and print its replies.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Send test message(s) over SMTP (plain, no STARTTLS) to an MTA such as `sluice mta`, one transaction",
            "per message on one connection, and print the server's reply for each.",
            "Exit code: 0 every message accepted, 1 any refused or not sent, 2 a usage problem.",
            ""
        })
final class InjectCommand implements java.util.concurrent.Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:2525",
            description = "The SMTP server (default ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--from", required = true, paramLabel = "ADDR", description = "Envelope sender and From header.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "ADDR", description = "Recipient (repeatable).")
    List<String> to;

    @Option(names = "--subject", paramLabel = "TEXT", defaultValue = "sluice inject test",
            description = "Subject of a generated message (default '${DEFAULT-VALUE}').")
    String subject;

    @ArgGroup(exclusive = true)
    Content content;

    static final class Content {
        @Option(names = "--body", paramLabel = "TEXT", description = "Body of a generated message.")
        String body;

        @Option(names = "--message", paramLabel = "FILE.eml", description = "Send this RFC 5322 message as is.")
        Path message;
    }

    @Option(names = "--count", paramLabel = "N", defaultValue = "1", description = "How many messages (default 1).")
    int count;

    @Option(names = "--header", paramLabel = "'Name: value'",
            description = "An extra header field, added at the top (repeatable).")
    List<String> headers = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (count < 1) {
            throw new ParameterException(spec.commandLine(), "--count must be at least 1");
        }
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon <= 0 || h.indexOf('\n') >= 0 || h.indexOf('\r') >= 0) {
                throw new ParameterException(spec.commandLine(), "--header: expected 'Name: value', got '" + h + "'");
            }
        }
        InetSocketAddress address;
        byte[] fileMessage = null;
        try {
            address = HostPort.parse("--server", server).resolve();
            if (content != null && content.message != null) {
                fileMessage = Files.readAllBytes(content.message);
            }
            Envelope.of(from, to, new byte[0]); // checks the addresses before connecting
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read --message " + content.message + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        String hostname = Hostnames.local();
        SmtpClientOptions options = SmtpClientOptions.defaults(hostname).withEnableTls(TlsMode.Disabled);
        EventLoopGroup loops = Transports.newEventLoopGroup(1);
        int accepted = 0;
        SmtpConnection connection = null;
        try {
            for (int i = 1; i <= count; i++) {
                if (connection == null || !connection.isUsable()) {
                    try {
                        connection = open(loops, address, options);
                    } catch (ExecutionException e) {
                        err.println("cannot send to " + server + ": " + reason(e.getCause()));
                        out.println("message " + i + ": not sent");
                        break;
                    }
                }
                byte[] data = fileMessage != null ? withHeaders(fileMessage) : generate(hostname, i);
                boolean all = true;
                List<RecipientResult> results = new ArrayList<>();
                for (Envelope batch : Envelope.of(from, to, data).batches(options.maxRecipientsPerBatch())) {
                    TransactionResult r = connection.send(batch).get();
                    results.addAll(r.recipients());
                    all &= r.allDelivered();
                }
                print(out, i, results);
                if (all) {
                    accepted++;
                }
            }
        } finally {
            if (connection != null) {
                connection.quit().get(10, TimeUnit.SECONDS);
            }
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        out.flush();
        return accepted == count ? 0 : 1;
    }

    private static SmtpConnection open(EventLoopGroup loops, InetSocketAddress to, SmtpClientOptions options)
            throws ExecutionException, InterruptedException {
        // The client wants a connected channel with an empty pipeline and auto-read off, as a Connector gives it.
        var connect = Transports.clientBootstrap(to.getAddress()).group(loops).option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {}
                }).connect(to).awaitUninterruptibly();
        if (!connect.isSuccess()) {
            throw new ExecutionException(connect.cause());
        }
        return SmtpClient.open(connect.channel(), options).get();
    }

    private static String reason(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** One line per message when every recipient got the same reply, else one per recipient. */
    private static void print(PrintWriter out, int n, List<RecipientResult> results) {
        List<String> replies = results.stream().map(r -> reply(r.result())).distinct().toList();
        if (replies.size() == 1) {
            out.println("message " + n + ": " + replies.getFirst());
        } else {
            for (RecipientResult r : results) {
                out.println("message " + n + " " + r.recipient() + ": " + reply(r.result()));
            }
        }
        out.flush();
    }

    private static String reply(DeliveryResult r) {
        SmtpResponse s = r.response();
        return s.code() + (s.enhanced() == null ? "" : " " + s.enhanced()) + " " + s.content().replace('\n', ' ');
    }

    private byte[] withHeaders(byte[] message) {
        if (headers.isEmpty()) {
            return message;
        }
        var buf = new ByteArrayOutputStream();
        for (String h : headers) {
            buf.writeBytes((h + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        buf.writeBytes(message);
        return buf.toByteArray();
    }

    private byte[] generate(String hostname, int n) {
        var s = new StringBuilder();
        s.append("From: ").append(from).append("\r\n");
        s.append("To: ").append(String.join(", ", to)).append("\r\n");
        s.append("Subject: ").append(count > 1 ? subject + " (" + n + "/" + count + ")" : subject).append("\r\n");
        s.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now())).append("\r\n");
        s.append("Message-ID: <").append(UUID.randomUUID()).append("@").append(hostname).append(">\r\n");
        s.append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n");
        for (String h : headers) {
            s.append(h).append("\r\n");
        }
        s.append("\r\n");
        String body = content != null && content.body != null ? content.body : "This is a test message from sluice inject.";
        s.append(body.replace("\r\n", "\n").replace("\n", "\r\n")).append("\r\n");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }
}
