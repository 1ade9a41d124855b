package dev.sptsrag.service.web;

import dev.sptsrag.service.ai.SptsChatModel;
import dev.sptsrag.service.ops.EngineScheduler;
import dev.sptsrag.service.ops.LoadedEngine;
import dev.sptsrag.service.web.OpenAiApi.ChatCompletionChunk;
import dev.sptsrag.service.web.OpenAiApi.ChatCompletionRequest;
import dev.sptsrag.service.web.OpenAiApi.ChunkChoice;
import dev.sptsrag.service.web.OpenAiApi.Delta;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The OpenAI-compatible API over {@link SptsChatModel}: chat completions (JSON, or server-sent events
 * with {@code "stream": true}) and the model list. Errors are problem details (RFC 9457,
 * {@link ProblemDetailsAdvice}); an error after a stream has started is sent as an
 * {@code {"error": ...}} event, as OpenAI does.
 */
@RestController
@Tag(name = "OpenAI-compatible API")
public class OpenAiController {
    private final SptsChatModel chatModel;
    private final OpenAiMapper mapper;
    private final JsonMapper json;
    private final CancellableAnswers answers;
    private final EngineScheduler engine;

    public OpenAiController(SptsChatModel chatModel, EngineScheduler engine, JsonMapper json, CancellableAnswers answers) {
        this.chatModel = chatModel;
        this.engine = engine;
        this.json = json;
        this.answers = answers;
        this.mapper = new OpenAiMapper();
    }

    @PostMapping(path = "/v1/chat/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Create a chat completion",
            description = "OpenAI's chat completions. With \"stream\": true the answer is a text/event-stream of "
                    + "chat.completion.chunk objects, a usage chunk when stream_options.include_usage is true, then [DONE].",
            responses = {
                    @ApiResponse(responseCode = "200", content = {
                            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                                    schema = @Schema(implementation = OpenAiApi.ChatCompletion.class)),
                            @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
                                    schema = @Schema(implementation = ChatCompletionChunk.class))}),
                    @ApiResponse(responseCode = "400", description = "invalid request, or the prompt exceeds the context"),
                    @ApiResponse(responseCode = "401", description = "missing or wrong API key"),
                    @ApiResponse(responseCode = "404", description = "the model is not served here"),
                    @ApiResponse(responseCode = "429", description = "the engine's queue is full (Retry-After)"),
                    @ApiResponse(responseCode = "503", description = "the engine is loading, failed, shutting down, or timed out")})
    public Object chatCompletions(@RequestBody ChatCompletionRequest request, HttpServletRequest http) {
        Prompt prompt = mapper.toPrompt(request);
        long created = Instant.now().getEpochSecond();
        if (!Boolean.TRUE.equals(request.stream())) {
            // From the stream, joined, rather than call(): asynchronous, and cancelled when the request ends
            // (timeout, hang-up). Object is the declared type because Spring picks the handler by the value's.
            return answers.of(http, joined(chatModel.stream(prompt)).map(r -> mapper.toCompletion(r, created)));
        }
        boolean includeUsage = request.streamOptions() != null
                && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        return ResponseEntity.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .cacheControl(CacheControl.noCache())
                .header("X-Accel-Buffering", "no")
                .body(events(chatModel.stream(prompt), created, includeUsage));
    }

    /** The streamed answer as one response: the pieces' text joined, with the last piece's metadata. */
    private static Mono<ChatResponse> joined(Flux<ChatResponse> pieces) {
        StringBuilder text = new StringBuilder();
        return pieces.doOnNext(r -> {
            var g = r.getResult();
            if (g != null && g.getOutput().getText() != null) {
                text.append(g.getOutput().getText());
            }
        }).last().map(end -> SptsChatModel.joined(text.toString(), end));
    }

    /** Chunks as OpenAI sends them: role first, then text, the finish reason, optionally usage, then [DONE]. */
    private Flux<ServerSentEvent<String>> events(Flux<ChatResponse> responses, long created, boolean includeUsage) {
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicBoolean started = new AtomicBoolean(false);
        return responses.concatMapIterable(r -> {
                    ChatResponseMetadata md = r.getMetadata();
                    List<ChatCompletionChunk> out = new ArrayList<>(3);
                    if (first.getAndSet(false)) {
                        out.add(chunk(md, created, new Delta("assistant", ""), null));
                    }
                    var result = r.getResult();
                    String text = result == null ? null : result.getOutput().getText();
                    if (text != null && !text.isEmpty()) {
                        out.add(chunk(md, created, new Delta(null, text), null));
                    }
                    String finish = result == null ? null : OpenAiMapper.finishReason(result.getMetadata().getFinishReason());
                    if (finish != null) {
                        out.add(new ChatCompletionChunk(md.getId(), "chat.completion.chunk", created, md.getModel(),
                                List.of(new ChunkChoice(0, new Delta(null, null), null, finish)), null,
                                OpenAiMapper.timings(md)));
                        if (includeUsage) {
                            out.add(new ChatCompletionChunk(md.getId(), "chat.completion.chunk", created, md.getModel(),
                                    List.of(), OpenAiMapper.usage(md.getUsage()), null));
                        }
                    }
                    return out;
                })
                .map(this::event)
                .doOnNext(e -> started.set(true))
                .concatWith(Flux.just(data("[DONE]")))
                .onErrorResume(e -> started.get()
                        ? Flux.just(event(Map.of("error", ProblemDetailsAdvice.openAiError(e))))
                        : Flux.error(e));
    }

    private static ChatCompletionChunk chunk(ChatResponseMetadata md, long created, Delta delta, String finish) {
        return new ChatCompletionChunk(md.getId(), "chat.completion.chunk", created, md.getModel(),
                List.of(new ChunkChoice(0, delta, null, finish)), null, null);
    }

    private ServerSentEvent<String> event(Object payload) {
        return data(json.writeValueAsString(payload));
    }

    /** {@code data: TEXT}: the space after the colon as OpenAI writes it (an SSE reader strips it). */
    private static ServerSentEvent<String> data(String text) {
        return ServerSentEvent.builder(" " + text).build();
    }

    @GetMapping("/v1/models")
    @Operation(summary = "List the served model")
    public OpenAiApi.ModelList models() {
        return new OpenAiApi.ModelList("list", List.of(card(engine.loaded())));
    }

    @GetMapping("/v1/models/{id}")
    @Operation(summary = "Describe the served model")
    public OpenAiApi.ModelCard model(@PathVariable String id) {
        LoadedEngine loaded = engine.loaded();
        if (!loaded.modelId().equals(id)) {
            throw new dev.sptsrag.service.ai.ModelNotFoundException(id, loaded.modelId());
        }
        return card(loaded);
    }

    private static OpenAiApi.ModelCard card(LoadedEngine loaded) {
        return new OpenAiApi.ModelCard(loaded.modelId(), "model", loaded.loadedAt().getEpochSecond(), "spts-rag");
    }
}
