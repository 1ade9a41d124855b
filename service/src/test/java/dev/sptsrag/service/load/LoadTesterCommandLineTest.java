package dev.sptsrag.service.load;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The load tester's options and the little JSON it reads, without a service. */
class LoadTesterCommandLineTest {

    @Test
    void optionsOverrideTheDefaults() {
        LoadTester.Config c = LoadTester.parse(new String[] {"--url", "http://127.0.0.1:9090", "--concurrency", "32",
                "--duration", "2m", "--max-tokens", "8", "--api-key", "k", "--settle-timeout", "500ms"});
        assertThat(c.base()).isEqualTo(URI.create("http://127.0.0.1:9090"));
        assertThat(c.concurrency()).isEqualTo(32);
        assertThat(c.duration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.maxTokens()).isEqualTo(8);
        assertThat(c.apiKey()).isEqualTo("k");
        assertThat(c.settleTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(LoadTester.parse(new String[] {"--duration", "45"}).duration()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void onlyLoopbackServicesAreLoaded() {
        // Address literals: no name lookup, so the test needs no network.
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--url", "http://192.0.2.10:8080"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback only");
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--url", "https://127.0.0.1:8443"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http://HOST:PORT");
        assertThat(LoadTester.parse(new String[] {"--url", "http://[::1]:8080"}).base().getHost()).isEqualTo("[::1]");
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--threads", "4"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option --threads");
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--duration", "soon"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--duration");
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--concurrency", "0"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> LoadTester.parse(new String[] {"--concurrency"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--option value");
    }

    @Test
    void readsTheTopLevelStatusOfAHealthDocument() {
        String health = "{\"components\":{\"engine\":{\"status\":\"DOWN\",\"details\":{\"x\":\"status\"}}},\"status\":\"UP\"}";
        assertThat(LoadTester.topLevelString(health, "status")).isEqualTo("UP");
        assertThat(LoadTester.topLevelString("{\"a\": \"b\\\"}\", \"status\" : \"OUT_OF_SERVICE\"}", "status"))
                .isEqualTo("OUT_OF_SERVICE");
        assertThat(LoadTester.topLevelString("{\"components\":{\"status\":\"UP\"}}", "status")).isNull();
        assertThat(LoadTester.jsonString("a \"q\"\n\\")).isEqualTo("\"a \\\"q\\\"\\n\\\\\"");
    }
}
