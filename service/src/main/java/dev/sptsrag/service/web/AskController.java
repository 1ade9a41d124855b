package dev.sptsrag.service.web;

import dev.sptsrag.service.rag.RagAnswer;
import dev.sptsrag.service.rag.RagService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import org.springframework.web.context.request.async.DeferredResult;
import tools.jackson.databind.json.JsonMapper;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /api/ask}: a question answered from a collection, with citations, usage and timings; and
 * {@code POST /api/ask/stream}: the same answer as server-sent events.
 */
@RestController
public class AskController {
    private final RagService rag;
    private final JsonMapper json;
    private final CancellableAnswers answers;

    public AskController(RagService rag, JsonMapper json, CancellableAnswers answers) {
        this.rag = rag;
        this.json = json;
        this.answers = answers;
    }

    /**
     * Answered asynchronously from the same generation a stream uses, so that the request's end (its
     * timeout, an error, the client hanging up) cancels the generation ({@link CancellableAnswers}).
     */
    @PostMapping("/api/ask")
    public DeferredResult<RagAnswer> ask(@RequestBody RagApi.AskRequest request, HttpServletRequest http) {
        return answers.of(http, rag.stream(request.validated()).mapNotNull(RagService.RagChunk::done).last());
    }

    @PostMapping(path = "/api/ask/stream", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Ask a question, streaming the answer",
            description = "The request of /api/ask; the answer is a text/event-stream: \"token\" events with "
                    + "{\"text\": piece} as the answer is generated, then one \"done\" event with what /api/ask returns "
                    + "(answer, finishReason, citations, context, usage, timings, skip). An error after the stream has "
                    + "started is an \"error\" event with a problem detail; errors before it are problem-detail "
                    + "responses as for /api/ask. Closing the connection stops the generation.",
            responses = {
                    @ApiResponse(responseCode = "200", content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
                            schema = @Schema(implementation = RagAnswer.class))),
                    @ApiResponse(responseCode = "400", description = "invalid request, or no room for sources in the context"),
                    @ApiResponse(responseCode = "401", description = "missing or wrong API key"),
                    @ApiResponse(responseCode = "429", description = "the engine's queue is full (Retry-After)"),
                    @ApiResponse(responseCode = "503", description = "the engine is loading, failed, shutting down, or timed out")})
    public ResponseEntity<Flux<ServerSentEvent<String>>> askStream(@RequestBody RagApi.AskRequest request) {
        Flux<RagService.RagChunk> chunks = rag.stream(request.validated());
        AtomicBoolean started = new AtomicBoolean(false);
        Flux<ServerSentEvent<String>> events = chunks
                .map(c -> c.done() != null ? event("done", c.done()) : event("token", Map.of("text", c.text())))
                .doOnNext(e -> started.set(true))
                .onErrorResume(e -> started.get()
                        ? Flux.just(event("error", ProblemDetailsAdvice.problem(e)))
                        : Flux.error(e));
        return ResponseEntity.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .cacheControl(CacheControl.noCache())
                .header("X-Accel-Buffering", "no")
                .body(events);
    }

    private ServerSentEvent<String> event(String name, Object payload) {
        return ServerSentEvent.builder(json.writeValueAsString(payload)).event(name).build();
    }
}
