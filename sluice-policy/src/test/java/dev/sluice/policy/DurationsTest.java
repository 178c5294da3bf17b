package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "30 seconds | PT30S",
            "30s        | PT30S",
            "1 second   | PT1S",
            "5m         | PT5M",
            "5 minutes  | PT5M",
            "1h         | PT1H",
            "1 hour     | PT1H",
            "2 days     | PT48H",
            "1d         | PT24H",
            "1h 30m     | PT1H30M",
            "1h30m      | PT1H30M",
            "500ms      | PT0.5S",
            "1w         | PT168H",
            "90         | PT1M30S",
            "2.5        | PT2.5S",
    })
    void parsesHumantimeStrings(String text, String iso) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @Test
    void plainLuaNumbersAreSeconds() {
        assertThat(Durations.parse(60L)).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse(0.25)).isEqualTo(Duration.ofMillis(250));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "5 parsecs", "m5", "1h and 5m", "-3", ""})
    void rejectsGarbageNamingTheInput(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid duration '" + text + "'");
    }

    @Test
    void rejectsNonStringNonNumber() {
        assertThatThrownBy(() -> Durations.parse(true)).hasMessageContaining("invalid duration true");
    }

    /** Found by ConfigTableFuzzTest: math.huge or 0/0 threw NumberFormatException instead of a config error. */
    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void nonFiniteNumbersAreAConfigError(double value) {
        assertThatThrownBy(() -> Durations.parse(value))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a finite number");
    }

    /** Beside that finding: seconds beyond the range of Duration.ofNanos wrapped around to a meaningless value. */
    @ParameterizedTest
    @ValueSource(strings = {"1e19", "10000000000000000000", "9300000000000000000.5"})
    void secondsBeyondTheNanosecondRangeAreTooLarge(String text) {
        Object value = text.contains("e") ? (Object) Double.parseDouble(text) : text;
        assertThatThrownBy(() -> Durations.parse(value))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("too large");
    }
}
