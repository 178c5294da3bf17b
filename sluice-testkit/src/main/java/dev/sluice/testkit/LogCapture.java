package dev.sluice.testkit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures what one logger (and its children) logs during each test, as "LEVEL message" lines:
 * {@code @RegisterExtension final LogCapture logs = new LogCapture("dev.sluice.proxy");}.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {
    private final String loggerName;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture(String loggerName) {
        this.loggerName = loggerName;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        appender.start();
        ((Logger) LoggerFactory.getLogger(loggerName)).addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ((Logger) LoggerFactory.getLogger(loggerName)).detachAppender(appender);
        appender.stop();
    }

    /** Every line logged so far, "LEVEL formatted message", oldest first. */
    public List<String> lines() {
        synchronized (appender.list) {
            return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }
}
