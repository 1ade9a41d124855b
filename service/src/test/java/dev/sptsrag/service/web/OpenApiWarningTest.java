package dev.sptsrag.service.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpenApiWarningTest {
    @Test
    void warnsOnlyWhenReachableBeyondLoopbackWithoutAKey() {
        assertThat(WebConfiguration.openApiWarning(null, false, 8080)).hasValueSatisfying(w ->
                assertThat(w).contains("every network interface", "spts.api.key"));
        assertThat(WebConfiguration.openApiWarning("0.0.0.0", false, 8080)).isPresent();
        assertThat(WebConfiguration.openApiWarning("127.0.0.1", false, 8080)).isEmpty();
        assertThat(WebConfiguration.openApiWarning("::1", false, 8080)).isEmpty();
        assertThat(WebConfiguration.openApiWarning(null, true, 8080)).isEmpty();
    }
}
