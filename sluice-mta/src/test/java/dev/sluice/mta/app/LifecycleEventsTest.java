package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.policy.PolicyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code pre_init} before {@code init}, {@code shutdown} and {@code shutdown_logging} once at an orderly stop. */
class LifecycleEventsTest extends MtaAppTestBase {

    /** A policy whose events append their names to events.txt; {@code extra} is more Lua at the top level. */
    private Path policy(String extra) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local function note(what)
                  local f = assert(io.open('%1$s/events.txt', 'a'))
                  f:write(what, '\\n')
                  f:close()
                end
                kumo.on('pre_init', function() note('pre_init one') end)
                kumo.on('pre_init', function() note('pre_init two') end)
                kumo.on('init', function()
                  note('init')
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('shutdown_logging', function() note('shutdown_logging') end)
                """.formatted(dir.toAbsolutePath()) + extra.replace("NOTE", "note"));
        return file;
    }

    private String events() throws Exception {
        return Files.readString(dir.resolve("events.txt"));
    }

    @Test
    void preInitHandlersRunBeforeInitAndShutdownOnceAtStop() throws Exception {
        app = MtaFixture.start(policy("kumo.on('shutdown', function() NOTE('shutdown') end)\n"));

        assertThat(events()).isEqualTo("pre_init one\npre_init two\ninit\n");
        app.shutdown(Duration.ofSeconds(5));
        app.shutdown(Duration.ofSeconds(5));

        assertThat(events()).isEqualTo("pre_init one\npre_init two\ninit\nshutdown\nshutdown_logging\n");
    }

    @Test
    void aFailingShutdownHandlerIsLoggedWithFileAndLineAndTheStopGoesOn() throws Exception {
        Path file = policy("kumo.on('shutdown', function()\n  error('cannot flush')\nend)\n");
        app = MtaFixture.start(file);
        Logger logger = (Logger) LoggerFactory.getLogger(MtaApp.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            app.shutdown(Duration.ofSeconds(5));
        } finally {
            logger.detachAppender(appender);
        }

        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("shutdown event failed: " + file + ":17: cannot flush", "mta stopped");
        assertThat(events()).endsWith("shutdown_logging\n");
    }

    @Test
    void aFailingPreInitStopsTheStartWithFileAndLine() throws Exception {
        Path file = policy("kumo.on('pre_init', function() error('no helper config') end)\n");

        assertThatThrownBy(() -> app = MtaFixture.start(file)).isInstanceOf(PolicyException.class)
                .hasMessage(file + ":16: no helper config");
        assertThat(events()).isEqualTo("pre_init one\npre_init two\n");
    }
}
