package dev.sluice.cli;

import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Lua policy of the process-level MTA tests: spool and logs under the test's directory, an ESMTP listener
 * on a free loopback port, every queue delivering to one sink port with TLS off. What the tests vary is set
 * by name: flush, an HTTP listener, logged headers, one egress source in a pool, queue fields, event handlers.
 */
final class MtaTestPolicy {
    private final Path dir;
    private final int sinkPort;
    private boolean flush;
    private boolean http;
    private String httpFields = "";
    private String logHeaders = "";
    private String sourceFields;
    private String queueFields = "";
    private String pathFields = "";
    private String events = "";
    private Path spoolDir;
    private String spoolFields = "";

    private MtaTestPolicy(Path dir, int sinkPort) {
        this.dir = dir;
        this.sinkPort = sinkPort;
    }

    static MtaTestPolicy of(Path dir, int sinkPort) {
        return new MtaTestPolicy(dir, sinkPort);
    }

    MtaTestPolicy flush(boolean flush) {
        this.flush = flush;
        return this;
    }

    MtaTestPolicy httpListener() {
        this.http = true;
        return this;
    }

    /** An HTTP listener with more start_http_listener fields, e.g. {@code , request_body_limit = 64000000}. */
    MtaTestPolicy httpListener(String fields) {
        this.http = true;
        this.httpFields = fields;
        return this;
    }

    /** The spool at {@code dir} instead of the test directory's {@code spool}, with more define_spool fields. */
    MtaTestPolicy spool(Path dir, String fields) {
        this.spoolDir = dir;
        this.spoolFields = fields;
        return this;
    }

    /** Headers copied into every log record, e.g. {@code 'X-Seq'}. */
    MtaTestPolicy logHeaders(String luaList) {
        this.logHeaders = ", headers = { " + luaList + " }";
        return this;
    }

    /** One source {@code ip-1} with these make_egress_source fields, alone in {@code pool-1}. */
    MtaTestPolicy source(String fields) {
        this.sourceFields = fields;
        return this;
    }

    /** More make_queue_config fields, e.g. {@code retry_interval = '1s',} (with the trailing comma). */
    MtaTestPolicy queue(String fields) {
        this.queueFields = fields;
        return this;
    }

    /** More make_egress_path fields, e.g. {@code connection_limit = 2,} (with the trailing comma). */
    MtaTestPolicy path(String fields) {
        this.pathFields = fields;
        return this;
    }

    /** More top-level Lua, such as event handlers. */
    MtaTestPolicy events(String lua) {
        this.events = lua;
        return this;
    }

    /** Writes the policy as {@code name} in the test directory. */
    Path write(String name) throws IOException {
        String d = dir.toAbsolutePath().toString();
        StringBuilder init = new StringBuilder()
                .append("  kumo.define_spool { name = 'data', path = '")
                .append(spoolDir == null ? d + "/spool" : spoolDir.toAbsolutePath().toString())
                .append("', kind = 'RocksDB', flush = ").append(flush).append(spoolFields).append(" }\n")
                .append("  kumo.configure_local_logs { log_dir = '").append(d).append("/logs'").append(logHeaders).append(" }\n")
                .append("  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }\n");
        if (http) init.append("  kumo.start_http_listener { listen = '127.0.0.1:0'").append(httpFields).append(" }\n");
        if (sourceFields != null) {
            init.append("  kumo.define_egress_source { name = 'ip-1', ").append(sourceFields).append(" }\n")
                    .append("  kumo.define_egress_pool { name = 'pool-1', entries = { { name = 'ip-1' } } }\n");
        }
        String lua = "local kumo = require 'kumo'\n"
                + "kumo.on('init', function()\n" + init + "end)\n"
                + "kumo.on('get_queue_config', function()\n"
                + "  return kumo.make_queue_config { " + (sourceFields != null ? "egress_pool = 'pool-1', " : "")
                + queueFields + "\n    protocol = { smtp = { mx_list = { '127.0.0.1:" + sinkPort + "' } } } }\n"
                + "end)\n"
                + "kumo.on('get_egress_path_config', function()\n"
                + "  return kumo.make_egress_path { " + pathFields + " prohibited_hosts = {}, enable_tls = 'Disabled' }\n"
                + "end)\n"
                + events + "\n";
        Path file = dir.resolve(name);
        Files.writeString(file, lua);
        return file;
    }

    Path write() throws IOException {
        return write("policy.lua");
    }

    /** {@code bin/sluice mta --policy FILE} in the test directory, stopped by {@code peers}. */
    static SluiceProcess start(Peers peers, Path dir, Path policy) {
        return peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString()).workDir(dir).start());
    }
}
