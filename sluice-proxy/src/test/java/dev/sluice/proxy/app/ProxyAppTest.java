package dev.sluice.proxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy process's Netty settings: no leak tracking (a stack trace per sampled buffer) unless asked for. */
class ProxyAppTest {
    private ResourceLeakDetector.Level before;

    @BeforeEach
    void remember() {
        before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE); // Netty's default
    }

    @AfterEach
    void restore() {
        ResourceLeakDetector.setLevel(before);
    }

    @Test
    void leakDetectionIsOffByDefault() {
        assertThat(ProxyApp.disableLeakDetectionUnlessAsked(new Properties())).isTrue();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    }

    @Test
    void aLevelAskedForIsKept() {
        for (String name : new String[] {"io.netty.leakDetection.level", "io.netty.leakDetectionLevel"}) {
            Properties asked = new Properties();
            asked.setProperty(name, "paranoid");
            assertThat(ProxyApp.disableLeakDetectionUnlessAsked(asked)).as(name).isFalse();
            assertThat(ResourceLeakDetector.getLevel()).as(name).isEqualTo(ResourceLeakDetector.Level.SIMPLE);
        }
    }
}
