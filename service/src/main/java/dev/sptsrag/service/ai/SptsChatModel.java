package dev.sptsrag.service.ai;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.DeviceOutOfMemoryException;
import dev.sptsrag.inference.EngineException;
import dev.sptsrag.inference.engine.GenerationMetrics;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InvalidSamplingOptionException;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.spts.InvalidSkipBudgetException;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.inference.spts.SkipPlan;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.inference.tokenizer.ChatMessage;
import dev.sptsrag.inference.tokenizer.ChatTemplate;
import dev.sptsrag.inference.tokenizer.ChatTemplateException;
import dev.sptsrag.service.ops.EngineMetrics;
import dev.sptsrag.service.ops.EngineScheduler;
import dev.sptsrag.service.ops.LoadedEngine;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.chat.observation.ChatModelObservationDocumentation;
import org.springframework.ai.chat.observation.DefaultChatModelObservationConvention;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.ai.retry.TransientAiException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Our engine as a Spring AI {@link ChatModel}. A prompt's messages are rendered with the model's own
 * chat template and tokenized on the caller's thread; the request then waits in the
 * {@link EngineScheduler}'s queue for the engine. {@link #stream} emits one chunk per piece of text as
 * the engine produces it and a last chunk with the finish reason, usage and the engine's figures
 * ({@link SptsChatMetadata}); cancelling the stream stops the generation at its next token. Options
 * per request: this model's defaults overlaid with the prompt's options ({@link SptsChatOptions});
 * without {@code maxTokens} a generation runs to the end of text or of the context, and one that reaches
 * the end of the context ends with {@code LENGTH} (a prompt that does not fit is refused, never truncated).
 *
 * <p>Errors: {@link InvalidChatRequestException} (non-transient: bad options, skip budget, message
 * types, prompt longer than the context), the scheduler's transient ones (busy, not ready, timeout),
 * {@link NonTransientAiException} for engine failures. Tool calling and media are not supported yet.
 */
public class SptsChatModel implements ChatModel, PromptTokens {
    /** The provider name in observations ({@code gen_ai.system}). */
    public static final String PROVIDER = "spts";

    /** Sampling defaults for options neither the model's defaults nor the request set (as the CLI's). */
    static final double TEMPERATURE = 0.8, TOP_P = 0.95, MIN_P = 0.05, REPETITION_PENALTY = 1.0;
    static final int TOP_K = 40;

    private static final ChatModelObservationConvention DEFAULT_CONVENTION = new DefaultChatModelObservationConvention();

    private final EngineScheduler scheduler;
    private final SptsChatOptions defaultOptions;
    private final ObservationRegistry observationRegistry;
    private ChatModelObservationConvention observationConvention = DEFAULT_CONVENTION;
    private volatile @Nullable Escaping escaping;

    /** The escaper of a loaded engine's tokenizer, built once per engine (it indexes the added tokens). */
    private record Escaping(LoadedEngine engine, SpecialTokenEscaper escaper) {
    }

    public SptsChatModel(EngineScheduler scheduler, SptsChatOptions defaultOptions, ObservationRegistry observationRegistry) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.defaultOptions = defaultOptions != null ? defaultOptions : SptsChatOptions.builder().build();
        this.observationRegistry = observationRegistry != null ? observationRegistry : ObservationRegistry.NOOP;
    }

    public SptsChatModel(EngineScheduler scheduler, SptsChatOptions defaultOptions) {
        this(scheduler, defaultOptions, ObservationRegistry.NOOP);
    }

    public void setObservationConvention(ChatModelObservationConvention convention) {
        this.observationConvention = Objects.requireNonNull(convention, "convention");
    }

    public EngineScheduler scheduler() {
        return scheduler;
    }

    /** The defaults; the model is the served one once the engine is loaded, unless configured. */
    @Override
    public SptsChatOptions getOptions() {
        LoadedEngine loaded = scheduler.loadedOrNull();
        if (defaultOptions.getModel() == null && loaded != null) {
            return defaultOptions.mutate().model(loaded.modelId()).build();
        }
        return defaultOptions;
    }

    @Override
    public int contextLength() {
        return scheduler.loaded().engine().contextLength();
    }

    /** As {@link #call} counts them; callers budget the rest of the context window with it. */
    @Override
    public int count(List<Message> messages) {
        return encode(scheduler.loaded(), messages).length;
    }

    @Override
    public String escapeControlTokens(String untrusted) {
        LoadedEngine loaded = scheduler.loaded();
        Escaping e = escaping;
        if (e == null || e.engine() != loaded) { // a race builds it twice, harmlessly
            e = new Escaping(loaded, new SpecialTokenEscaper(loaded.model().tokenizer()));
            escaping = e;
        }
        return e.escaper().escape(untrusted);
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        Prompt request = withOptions(prompt);
        ChatModelObservationContext context = ChatModelObservationContext.builder().prompt(request).provider(PROVIDER)
                .build();
        return ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
                .observation(observationConvention, DEFAULT_CONVENTION, () -> context, observationRegistry)
                .observe(() -> {
                    Prepared p = prepare(request);
                    EngineScheduler.Job job = scheduler.submit(p.request(), TokenListener.IGNORE);
                    EngineScheduler.Report report;
                    try {
                        report = job.result().get();
                    } catch (InterruptedException e) {
                        job.cancel();
                        Thread.currentThread().interrupt();
                        throw new CancellationException("interrupted while waiting for the engine");
                    } catch (ExecutionException e) {
                        throw translate(e.getCause());
                    }
                    GenerationResult r = report.generation();
                    ChatResponse response = new ChatResponse(List.of(new Generation(new AssistantMessage(r.text()),
                            finish(r))), metadata(p, report).build());
                    context.setResponse(response);
                    return response;
                });
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return Flux.deferContextual(contextView -> {
            Prompt request = withOptions(prompt);
            ChatModelObservationContext context = ChatModelObservationContext.builder().prompt(request)
                    .provider(PROVIDER).streaming(true).build();
            Observation observation = ChatModelObservationDocumentation.CHAT_MODEL_OPERATION.observation(
                    observationConvention, DEFAULT_CONVENTION, () -> context, observationRegistry);
            Observation parent = contextView.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
            observation.parentObservation(parent).start();

            Flux<ChatResponse> chunks = Flux.create(sink -> generate(request, sink), FluxSink.OverflowStrategy.BUFFER);
            Flux<ChatResponse> observed = chunks.doOnError(observation::error)
                    .doFinally(signal -> observation.stop())
                    .contextWrite(ctx -> ctx.put(ObservationThreadLocalAccessor.KEY, observation));
            return aggregated(observed, context::setResponse);
        });
    }

    /**
     * Hands the whole streamed answer to {@code onComplete} when the stream completes: the chunks' text
     * joined, with the last chunk's metadata (ours carries usage, finish reason and timings there). Spring
     * AI's {@code MessageAggregator} does the same for any model's stream but logs every error at ERROR
     * with its stack trace, and here most stream errors are the client's (429 when the queue is full, 400)
     * or a cancellation: under load that buried the log in traces. Errors reach the subscriber unchanged;
     * what is a server failure is logged where it is answered (ProblemDetailsAdvice).
     */
    private static Flux<ChatResponse> aggregated(Flux<ChatResponse> chunks, Consumer<ChatResponse> onComplete) {
        StringBuilder text = new StringBuilder();
        AtomicReference<ChatResponse> last = new AtomicReference<>();
        return chunks.doOnNext(r -> {
            Generation g = r.getResult();
            if (g != null && g.getOutput().getText() != null) {
                text.append(g.getOutput().getText());
            }
            last.set(r);
        }).doOnComplete(() -> {
            ChatResponse end = last.get();
            if (end != null && end.getResult() != null) {
                onComplete.accept(joined(text.toString(), end));
            }
        });
    }

    /**
     * A streamed answer as one response: the pieces' {@code text}, with the finish reason and metadata of the
     * {@code last} piece (ours carries usage, timings and skip figures there).
     */
    public static ChatResponse joined(String text, ChatResponse last) {
        return new ChatResponse(List.of(new Generation(new AssistantMessage(text), last.getResult().getMetadata())),
                last.getMetadata());
    }

    /** Runs one streamed request into {@code sink}; text arrives on the engine's worker thread. */
    private void generate(Prompt request, FluxSink<ChatResponse> sink) {
        AtomicReference<EngineScheduler.Job> job = new AtomicReference<>();
        sink.onCancel(() -> {
            EngineScheduler.Job j = job.get();
            if (j != null) {
                j.cancel();
            }
        });
        Prepared p;
        try {
            p = prepare(request);
            job.set(scheduler.submit(p.request(), (id, text) -> {
                if (!text.isEmpty()) {
                    sink.next(new ChatResponse(List.of(new Generation(new AssistantMessage(text))),
                            ChatResponseMetadata.builder().id(p.id()).model(p.modelId()).build()));
                }
                return !sink.isCancelled();
            }));
        } catch (RuntimeException e) {
            sink.error(translate(e));
            return;
        }
        if (sink.isCancelled()) { // cancelled before the job was known
            job.get().cancel();
        }
        job.get().result().whenComplete((report, error) -> {
            if (error != null) {
                sink.error(translate(error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error));
                return;
            }
            GenerationResult r = report.generation();
            sink.next(new ChatResponse(List.of(new Generation(new AssistantMessage(""), finish(r))),
                    metadata(p, report).build()));
            sink.complete();
        });
    }

    /** A request as the engine takes it, with what the response needs. */
    private record Prepared(String id, String modelId, int[] promptTokens, GenerationRequest request,
                            @Nullable AppliedSkip skip) {
    }

    private Prompt withOptions(Prompt prompt) {
        SptsChatOptions merged = SptsChatOptions.merge(getOptions(), prompt.getOptions());
        return prompt.mutate().chatOptions(merged).build();
    }

    private Prepared prepare(Prompt prompt) {
        LoadedEngine loaded = scheduler.loaded();
        SptsChatOptions o = (SptsChatOptions) Objects.requireNonNull(prompt.getOptions());
        if (o.getModel() != null && !o.getModel().equals(loaded.modelId())) {
            throw new ModelNotFoundException(o.getModel(), loaded.modelId());
        }
        int context = loaded.engine().contextLength();
        refuseIfSurelyTooLong(loaded, prompt.getInstructions(), context, o.getMaxTokens());
        int[] tokens = encode(loaded, prompt.getInstructions());
        if (tokens.length >= context || (o.getMaxTokens() != null && o.getMaxTokens() > context - tokens.length)) {
            ContextLengthExceededException e = new ContextLengthExceededException(tokens.length,
                    o.getMaxTokens() != null ? o.getMaxTokens() : 0, context);
            throw new InvalidChatRequestException(tokens.length >= context ? "messages" : "maxTokens", e.getMessage(), e);
        }
        SamplingOptions sampling;
        try {
            sampling = new SamplingOptions(o.getMaxTokens() != null ? o.getMaxTokens() : context - tokens.length,
                    or(o.getTemperature(), TEMPERATURE), or(o.getTopK(), TOP_K), or(o.getTopP(), TOP_P),
                    or(o.getMinP(), MIN_P), or(o.getRepetitionPenalty(), REPETITION_PENALTY),
                    or(o.getPresencePenalty(), 0.0), or(o.getFrequencyPenalty(), 0.0), o.getSeed(),
                    o.getStopSequences());
        } catch (InvalidSamplingOptionException e) {
            throw new InvalidChatRequestException(e.option(), e.getMessage(), e);
        }
        SkipPlan plan = skipPlan(o.getSkip(), loaded, tokens.length);
        return new Prepared("chatcmpl-" + UUID.randomUUID(), loaded.modelId(), tokens,
                new GenerationRequest(tokens, sampling, plan.budget()), applied(o.getSkip(), plan));
    }

    /** The request's budget against the loaded model and prompt; refused (400, naming the field) before it is queued. */
    private static SkipPlan skipPlan(@Nullable SkipSpec spec, LoadedEngine loaded, int promptTokens) {
        try {
            SkipBudget budget = spec == null ? SkipBudget.OFF : spec.resolve(loaded.model().config());
            return SkipPlan.resolve(budget, loaded.model().config(), promptTokens); // layers that fit the model
        } catch (InvalidSkipBudgetException e) {
            throw new InvalidChatRequestException("skip." + e.field(), e.getMessage(), e);
        } catch (IllegalArgumentException e) { // an unknown preset
            throw new InvalidChatRequestException("skip", e.getMessage(), e);
        }
    }

    /**
     * What the response reports of a budget that skips (none without one); a strict spec whose budget would
     * skip nothing for this prompt is refused instead.
     */
    private static @Nullable AppliedSkip applied(@Nullable SkipSpec spec, SkipPlan plan) {
        if (plan.budget().mode() == SkipMode.FULL) {
            return null;
        }
        Optional<String> idle = plan.skipsNothingBecause();
        if (idle.isPresent() && spec != null && spec.strictMode()) {
            throw new InvalidChatRequestException("skip", "the skip budget would skip nothing (strict): " + idle.get(),
                    null);
        }
        return new AppliedSkip(SkipSpec.of(plan.budget()), idle.isEmpty(), idle.orElse(null));
    }

    /**
     * Refuses, without tokenizing, messages that cannot fit: tokenizing costs time and memory in proportion to
     * the text, and a client may send megabytes. A text of n characters is at least n / (the longest token's
     * characters) tokens, so this refuses only what the exact count would refuse too.
     */
    private static void refuseIfSurelyTooLong(LoadedEngine loaded, List<Message> messages, int context, Integer maxTokens) {
        long chars = 0;
        for (Message m : messages) {
            chars += m.getText() != null ? m.getText().length() : 0;
        }
        long atLeast = loaded.minimumTokens(chars);
        if (atLeast >= context) {
            int shown = (int) Math.min(Integer.MAX_VALUE, atLeast);
            ContextLengthExceededException e = new ContextLengthExceededException(shown, maxTokens != null ? maxTokens : 0,
                    context);
            throw new InvalidChatRequestException("messages", "the messages (" + chars + " characters, at least " + atLeast
                    + " tokens) do not fit the " + context + "-token context", e);
        }
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /**
     * The conversation through the model's chat template (with the generation prompt), tokenized; a model
     * without a template gets the messages' texts joined by blank lines, with BOS.
     */
    private static int[] encode(LoadedEngine loaded, List<Message> messages) {
        List<ChatMessage> turns = new ArrayList<>(messages.size());
        for (Message m : messages) {
            if (m instanceof UserMessage u && !u.getMedia().isEmpty()) {
                throw new InvalidChatRequestException("this model takes text only; the user message carries media");
            }
            if (m instanceof AssistantMessage a && a.hasToolCalls()) {
                throw new InvalidChatRequestException("tool calling is not supported yet");
            }
            String text = m instanceof ToolResponseMessage t
                    ? t.getResponses().stream().map(ToolResponseMessage.ToolResponse::responseData).collect(Collectors.joining("\n"))
                    : Objects.requireNonNullElse(m.getText(), "");
            turns.add(new ChatMessage(m.getMessageType().getValue(), text));
        }
        if (turns.isEmpty()) {
            throw new InvalidChatRequestException("the prompt has no messages");
        }
        ChatTemplate template = loaded.model().chatTemplate();
        if (template == null) {
            return loaded.model().tokenizer().encode(
                    turns.stream().map(ChatMessage::content).collect(Collectors.joining("\n\n")), true);
        }
        try {
            return loaded.model().tokenizer().encode(template.render(turns, true));
        } catch (ChatTemplateException e) { // e.g. the template's raise_exception on an unsupported role order
            throw new InvalidChatRequestException("the model's chat template rejected the conversation: " + e.getMessage(), e);
        }
    }

    private static ChatGenerationMetadata finish(GenerationResult r) {
        return ChatGenerationMetadata.builder().finishReason(r.finishReason().name()).build();
    }

    private static ChatResponseMetadata.Builder metadata(Prepared p, EngineScheduler.Report report) {
        GenerationResult r = report.generation();
        GenerationMetrics m = r.metrics();
        ChatResponseMetadata.Builder b = ChatResponseMetadata.builder().id(p.id()).model(p.modelId())
                .usage(new DefaultUsage(m.promptTokens(), m.generatedTokens()))
                .keyValue(SptsChatMetadata.TTFT, Duration.ofNanos(m.timeToFirstTokenNanos()))
                .keyValue(SptsChatMetadata.QUEUE_DURATION, Duration.ofNanos(report.queueNanos()))
                .keyValue(SptsChatMetadata.PREFILL_DURATION, Duration.ofNanos(m.prefillNanos()))
                .keyValue(SptsChatMetadata.DECODE_DURATION, Duration.ofNanos(m.decodeNanos()))
                .keyValue(SptsChatMetadata.PREFILL_TOKENS_PER_SECOND, m.prefillTokensPerSecond())
                .keyValue(SptsChatMetadata.DECODE_TOKENS_PER_SECOND, m.decodeTokensPerSecond());
        SkipStatistics s = r.skipStatistics();
        b.keyValue(SptsChatMetadata.SKIPPED_TOKEN_RATIO, EngineMetrics.skippedRatio(s));
        if (p.skip() != null) {
            b.keyValue(SptsChatMetadata.SKIP_BUDGET, p.skip());
        }
        if (s != null) {
            b.keyValue(SptsChatMetadata.SKIP_STATISTICS, s)
                    .keyValue(SptsChatMetadata.KV_BYTES_KEPT, s.kvBytesKept())
                    .keyValue(SptsChatMetadata.KV_BYTES_FULL, s.kvBytesFull());
        }
        return b;
    }

    /** Spring AI's exception types for what the scheduler or the engine threw. */
    static RuntimeException translate(Throwable e) {
        return switch (e) {
            case TransientAiException t -> t;
            case NonTransientAiException n -> n;
            case CancellationException c -> c;
            case ContextLengthExceededException c -> new InvalidChatRequestException(c.getMessage(), c);
            case DeviceOutOfMemoryException d -> new TransientAiException("the device ran out of memory: " + d.getMessage(), d);
            case EngineException x -> new NonTransientAiException("the engine failed: " + x.getMessage(), x);
            case IllegalArgumentException i -> new InvalidChatRequestException(i.getMessage(), i);
            case RuntimeException r -> r;
            default -> new NonTransientAiException("the engine failed: " + e, e);
        };
    }
}
