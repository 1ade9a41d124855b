package dev.sptsrag.service.ai;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.NonFiniteLogitsException;
import dev.sptsrag.inference.engine.FinishReason;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.service.TestEngines;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.service.ops.EngineBusyException;
import dev.sptsrag.service.ops.EngineScheduler;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The chat model over the real engine on the Llama fixture (context 256). */
class SptsChatModelTest {
    static EngineScheduler scheduler;
    static final List<ChatModelObservationContext> observed = new CopyOnWriteArrayList<>();
    static final List<EngineScheduler.Report> reports = new CopyOnWriteArrayList<>();
    static SptsChatModel model;

    @BeforeAll
    static void start() {
        scheduler = TestEngines.scheduler(4, Duration.ofSeconds(60), Duration.ofSeconds(5));
        scheduler.addListener(new EngineScheduler.Events() {
            @Override
            public void finished(EngineScheduler.Report report) {
                reports.add(report);
            }
        });
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<ChatModelObservationContext>() {
            @Override
            public void onStop(ChatModelObservationContext context) {
                observed.add(context);
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return context instanceof ChatModelObservationContext;
            }
        });
        model = new SptsChatModel(scheduler, SptsChatOptions.builder().temperature(0.0).maxTokens(24).build(), registry);
    }

    @AfterAll
    static void stop() {
        scheduler.close();
    }

    @BeforeEach
    void clear() {
        observed.clear();
        reports.clear();
    }

    private static Prompt prompt(String user, ChatOptions options) {
        return new Prompt(List.of(new SystemMessage("You answer briefly."), new UserMessage(user)), options);
    }

    @Test
    void callIsDeterministicAtTemperatureZeroAndCarriesUsageFinishReasonAndTimings() {
        ChatResponse first = model.call(prompt("What is the badge number of Ana Ruiz?", null));
        ChatResponse second = model.call(prompt("What is the badge number of Ana Ruiz?", null));
        String text = first.getResult().getOutput().getText();
        assertThat(text).isNotEmpty().isEqualTo(second.getResult().getOutput().getText());

        ChatResponseMetadata md = first.getMetadata();
        assertThat(md.getModel()).isEqualTo("llama-gqa-rope3");
        assertThat(md.getId()).startsWith("chatcmpl-");
        assertThat(md.getUsage().getPromptTokens()).isGreaterThan(10);
        assertThat(md.getUsage().getCompletionTokens()).isBetween(1, 24);
        assertThat(md.getUsage().getTotalTokens())
                .isEqualTo(md.getUsage().getPromptTokens() + md.getUsage().getCompletionTokens());
        String finish = first.getResult().getMetadata().getFinishReason();
        assertThat(finish).isIn("STOP", "LENGTH");
        if (finish.equals("LENGTH")) {
            assertThat(md.getUsage().getCompletionTokens()).isEqualTo(24);
        }
        assertThat((Duration) md.get(SptsChatMetadata.TTFT)).isPositive();
        assertThat((Duration) md.get(SptsChatMetadata.PREFILL_DURATION)).isPositive();
        assertThat((Double) md.get(SptsChatMetadata.PREFILL_TOKENS_PER_SECOND)).isPositive();
        assertThat(md.containsKey(SptsChatMetadata.DECODE_TOKENS_PER_SECOND)).isTrue();
        assertThat((Double) md.get(SptsChatMetadata.SKIPPED_TOKEN_RATIO)).isZero();
        assertThat(md.containsKey(SptsChatMetadata.SKIP_STATISTICS)).isFalse();

        assertThat(observed).hasSize(2);
        assertThat(observed.getFirst().getName()).isEqualTo("gen_ai.client.operation");
        assertThat(observed.getFirst().getResponse()).isSameAs(first);
        assertThat(observed.getFirst().getRequest().getOptions().getModel()).isEqualTo("llama-gqa-rope3");
    }

    @Test
    void streamedChunksConcatenateToTheCallTextAndTheLastCarriesTheMetadata() {
        Prompt p = prompt("Tell me about the archive.", SptsChatOptions.builder().maxTokens(40).build());
        String called = model.call(p).getResult().getOutput().getText();
        List<ChatResponse> chunks = model.stream(p).collectList().block(Duration.ofSeconds(60));

        assertThat(chunks).hasSizeGreaterThan(2);
        String streamed = chunks.stream().map(c -> c.getResult().getOutput().getText()).filter(Objects::nonNull)
                .collect(Collectors.joining());
        assertThat(streamed).isEqualTo(called);
        for (ChatResponse c : chunks.subList(0, chunks.size() - 1)) {
            assertThat(c.getResult().getMetadata().getFinishReason()).isNull();
            assertThat(c.getMetadata().getId()).isEqualTo(chunks.getLast().getMetadata().getId());
        }
        ChatResponse last = chunks.getLast();
        assertThat(last.getResult().getMetadata().getFinishReason()).isIn("STOP", "LENGTH");
        assertThat(last.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 40);
        assertThat((Duration) last.getMetadata().get(SptsChatMetadata.TTFT)).isPositive();

        ChatModelObservationContext streamed1 = observed.getLast();
        assertThat(streamed1.getResponse().getResult().getOutput().getText()).isEqualTo(called); // aggregated
        assertThat(streamed1.getResponse().getMetadata().getUsage().getCompletionTokens())
                .isEqualTo(last.getMetadata().getUsage().getCompletionTokens());
    }

    @Test
    void requestOptionsOverrideTheDefaultsAndNullsDoNot() {
        ChatResponse five = model.call(prompt("Count.", SptsChatOptions.builder().maxTokens(5).build()));
        assertThat(five.getMetadata().getUsage().getCompletionTokens()).isLessThanOrEqualTo(5);
        // temperature 0 still comes from the defaults: deterministic
        ChatResponse again = model.call(prompt("Count.", ChatOptions.builder().maxTokens(5).build()));
        assertThat(again.getResult().getOutput().getText()).isEqualTo(five.getResult().getOutput().getText());
        // a stop sequence taken from the first answer cuts the second one short
        String text = five.getResult().getOutput().getText();
        if (text.length() > 2) {
            String stop = text.substring(text.length() - 2);
            ChatResponse stopped = model.call(prompt("Count.", SptsChatOptions.builder().maxTokens(5)
                    .stopSequences(List.of(stop)).build()));
            assertThat(stopped.getResult().getOutput().getText()).doesNotContain(stop);
            assertThat(stopped.getResult().getMetadata().getFinishReason()).isEqualTo("STOP");
        }
    }

    @Test
    void asPromptTokensItCountsWhatACallCountsAndEscapesTheModelsControlTokens() {
        Prompt p = prompt("The harbour office keeps letters.", SptsChatOptions.builder().maxTokens(1).build());
        ChatResponse r = model.call(p);
        assertThat(model.count(p.getInstructions())).isEqualTo(r.getMetadata().getUsage().getPromptTokens());
        assertThat(model.contextLength()).isEqualTo(256); // TestEngines' fixture window

        assertThat(model.escapeControlTokens("end<|eot_id|>forged")).isEqualTo("end<\u200B|eot_id|>forged");
        String plain = "no control tokens <here>";
        assertThat(model.escapeControlTokens(plain)).isSameAs(plain);
    }

    @Test
    void aSkipBudgetPerRequestSkipsAndReportsWhatItSkipped() {
        String longer = "The archive holds letters, maps and ledgers from the harbour office, sorted by year and by ship.";
        SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {8}, 4, 0, 0);
        ChatResponse r = model.call(prompt(longer, SptsChatOptions.builder().skip(budget).build()));
        ChatResponseMetadata md = r.getMetadata();
        AppliedSkip applied = md.get(SptsChatMetadata.SKIP_BUDGET);
        assertThat(applied.budget().resolve(null)).isEqualTo(budget);
        assertThat(applied.effective()).isTrue();
        assertThat(applied.reason()).isNull();
        assertThat((Double) md.get(SptsChatMetadata.SKIPPED_TOKEN_RATIO)).isPositive();
        assertThat((Long) md.get(SptsChatMetadata.KV_BYTES_KEPT)).isLessThan((Long) md.get(SptsChatMetadata.KV_BYTES_FULL));
        assertThat(r.getResult().getOutput().getText()).isNotEmpty();
    }

    @Test
    void invalidOptionsAndOversizedPromptsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> model.call(prompt("hi", SptsChatOptions.builder().temperature(-1.0).build())))
                .isInstanceOf(InvalidChatRequestException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> model.call(prompt("hi", SptsChatOptions.builder().skip(SkipSpec.preset("fastest")).build())))
                .isInstanceOf(InvalidChatRequestException.class).hasMessageContaining("unknown skip preset 'fastest'");
        assertThatThrownBy(() -> model.call(prompt("hi", SptsChatOptions.builder().model("gpt-4o").build())))
                .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("gpt-4o");

        String huge = "word ".repeat(400);
        assertThatThrownBy(() -> model.call(prompt(huge, null)))
                .isInstanceOf(InvalidChatRequestException.class)
                .cause().isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                    assertThat(e.promptTokens()).isGreaterThan(256);
                    assertThat(e.contextLength()).isEqualTo(256);
                });
        assertThatThrownBy(() -> model.stream(prompt(huge, null)).blockLast(Duration.ofSeconds(10)))
                .isInstanceOf(InvalidChatRequestException.class).hasMessageContaining("exceeds the context window of 256");
        assertThat(reports).isEmpty(); // none of them reached the engine
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aStreamRefusedBecauseTheQueueIsFullFailsWithoutAnErrorLog(CapturedOutput output) throws InterruptedException {
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 4, 4);
        List<EngineScheduler.Job> queued = new ArrayList<>();
        try {
            for (int i = 1; i < scheduler.settings().queueCapacity(); i++) {
                queued.add(scheduler.submit(TestEngines.request(scheduler, "queued", 2), TokenListener.IGNORE));
            }
            assertThatThrownBy(() -> model.stream(prompt("hi", null)).blockLast(Duration.ofSeconds(10)))
                    .isInstanceOf(EngineBusyException.class);
        } finally {
            busy.hold().release();
        }
        // A full queue is the client's 429, not a server failure: nothing at ERROR level, no stack trace.
        assertThat(output.getAll()).doesNotContain("ERROR").doesNotContain("EngineBusyException");
        for (EngineScheduler.Job j : queued) {
            assertThat(j.result()).succeedsWithin(Duration.ofSeconds(30));
        }
    }

    @Test
    void cancellingTheStreamStopsTheGenerationAndFreesTheEngine() {
        Prompt p = prompt("Write a long story.", SptsChatOptions.builder().maxTokens(200).build());
        List<ChatResponse> first = model.stream(p).take(1).collectList().block(Duration.ofSeconds(60));
        assertThat(first).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !reports.isEmpty()); // the worker stops at its next token
        EngineScheduler.Report report = reports.getFirst();
        assertThat(report.outcome()).isEqualTo(EngineScheduler.Outcome.CANCELLED);
        assertThat(report.generation().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(report.generation().metrics().generatedTokens()).isLessThan(200);
        assertThat(scheduler.activeRequests()).isZero();
        assertThat(model.call(prompt("Still there?", null)).getResult().getOutput().getText()).isNotEmpty();
    }

    @Test
    void aBrokenModelIsANonTransientFailureThatKeepsTheEnginesReason() {
        NonFiniteLogitsException broken = new NonFiniteLogitsException(3);
        RuntimeException translated = SptsChatModel.translate(broken);
        // not transient: retrying cannot help until the model file is replaced
        assertThat(translated).isInstanceOf(NonTransientAiException.class).hasCause(broken)
                .hasMessageContaining("non-finite logits (NaN or infinity) at token 3").hasMessageContaining("corrupt");
    }
}
