package dev.sptsrag.service.web;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.NonFiniteLogitsException;
import dev.sptsrag.service.ai.InvalidChatRequestException;
import dev.sptsrag.service.ops.EngineState;
import dev.sptsrag.service.ops.EngineTimeoutException;
import dev.sptsrag.service.ops.EngineUnavailableException;
import org.junit.jupiter.api.Test;
import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The mappings the web tests do not reach with a healthy engine. */
class ProblemDetailsAdviceTest {
    private final ProblemDetailsAdvice advice = new ProblemDetailsAdvice();

    @Test
    void notReadyAndTimeoutsAreServiceUnavailableOtherFailuresInternal() {
        var loading = advice.handle(new EngineUnavailableException(EngineState.LOADING, "the model is still loading", null));
        assertThat(loading.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(loading.getHeaders().getFirst("Retry-After")).isEqualTo("5");
        assertThat(loading.getBody().getProperties()).containsEntry("state", "loading").containsEntry("code", "engine_unavailable");

        var timeout = advice.handle(new EngineTimeoutException(Duration.ofSeconds(1), true));
        assertThat(timeout.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(timeout.getBody().getDetail()).contains("generation was stopped");

        var engineFailure = advice.handle(new NonTransientAiException("the engine failed: boom"));
        assertThat(engineFailure.getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(engineFailure.getBody().getDetail()).isEqualTo("the engine failed: boom");
    }

    @Test
    void tooLongPromptsCarryTheCountsAndOpenAisErrorObject() {
        var e = new ContextLengthExceededException(300, 16, 256);
        ProblemDetail p = advice.handle(new InvalidChatRequestException(e.getMessage(), e)).getBody();
        assertThat(p.getStatus()).isEqualTo(400);
        assertThat(p.getProperties()).containsEntry("promptTokens", 300).containsEntry("contextLength", 256)
                .containsEntry("requestedNewTokens", 16);
        assertThat(p.getProperties().get("error")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("code", "context_length_exceeded").containsEntry("type", "invalid_request_error");
    }

    @Test
    void aBrokenModelIsAnInternalErrorThatSaysWhy() {
        // as SptsChatModel.translate hands an engine failure on
        var broken = new NonFiniteLogitsException(1);
        var response = advice.handle(new NonTransientAiException("the engine failed: " + broken.getMessage(), broken));
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        ProblemDetail p = response.getBody();
        assertThat(p.getDetail()).contains("non-finite logits (NaN or infinity) at the prefill").contains("corrupt");
        assertThat(p.getProperties()).containsEntry("code", "internal_error");
        assertThat(p.getProperties().get("error")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("message", p.getDetail()).containsEntry("type", "server_error");
    }
}
