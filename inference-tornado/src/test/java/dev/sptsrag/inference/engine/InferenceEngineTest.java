package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation end to end on the Llama fixture folder: greedy parity with transformers, streaming, seeds, stops. */
class InferenceEngineTest {
    static ParityFixture fixture;
    static LoadedModel model;
    static InferenceEngine engine;

    @BeforeAll
    static void load() {
        fixture = ParityFixture.load("llama-gqa-rope3");
        model = LoadedModel.open(fixture.folder());
        engine = new InferenceEngine(model.config(), model.weights(), model.tokenizer(), new CpuBackend(2), 160, 32, null);
    }

    @AfterAll
    static void close() {
        engine.close();
        model.close();
    }

    private int[] prompt() {
        return Arrays.copyOf(fixture.sequence(), fixture.promptLength());
    }

    @Test
    void greedyGenerationReproducesTransformersGenerate() {
        int[] expected = Arrays.copyOfRange(fixture.sequence(), fixture.promptLength(), fixture.sequence().length);
        int stopAt = expected.length;
        for (int i = 0; i < expected.length; i++) {
            if (model.tokenizer().specialTokens().isEndOfGeneration(expected[i])) {
                stopAt = i;
                break;
            }
        }
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = engine.generate(new GenerationRequest(prompt(), SamplingOptions.greedy(expected.length)),
                (id, text) -> {
                    streamed.append(text);
                    return true;
                });
        assertArrayEquals(Arrays.copyOf(expected, stopAt), r.tokens());
        assertEquals(stopAt == expected.length ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        assertEquals(r.text(), streamed.toString(), "streamed deltas add up to the result");
        assertEquals(model.tokenizer().decode(r.tokens()), r.text(), "text is the decoding of the tokens");
        GenerationMetrics m = r.metrics();
        assertEquals(fixture.promptLength(), m.promptTokens());
        assertEquals(r.tokens().length, m.generatedTokens());
        assertTrue(m.timeToFirstTokenNanos() >= m.prefillNanos() && m.prefillNanos() > 0);
    }

    @Test
    void sameSeedSameOutputOtherSeedOtherOutput() {
        SamplingOptions sampled = new SamplingOptions(24, 1.5, 0, 1, 0, 1, 0, 0, 1234L, List.of());
        GenerationResult a = engine.generate(new GenerationRequest(prompt(), sampled), TokenListener.IGNORE);
        GenerationResult b = engine.generate(new GenerationRequest(prompt(), sampled), TokenListener.IGNORE);
        GenerationResult c = engine.generate(new GenerationRequest(prompt(), sampled.withSeed(99L)), TokenListener.IGNORE);
        assertArrayEquals(a.tokens(), b.tokens());
        assertNotEquals(Arrays.toString(a.tokens()), Arrays.toString(c.tokens()));
    }

    @Test
    void stopStringEndsGenerationWithoutIncludingIt() {
        SamplingOptions sampled = new SamplingOptions(40, 1.5, 0, 1, 0, 1, 0, 0, 7L, List.of());
        GenerationResult free = engine.generate(new GenerationRequest(prompt(), sampled), TokenListener.IGNORE);
        assertTrue(free.text().length() > 6, "needs some text to cut: " + free.text());
        String stop = free.text().substring(4, 6);
        int at = free.text().indexOf(stop);
        GenerationResult cut = engine.generate(new GenerationRequest(prompt(), sampled.withStopStrings(List.of(stop))),
                TokenListener.IGNORE);
        assertEquals(FinishReason.STOP, cut.finishReason());
        assertEquals(free.text().substring(0, at), cut.text());
    }

    @Test
    void listenerCanCancel() {
        List<Integer> seen = new ArrayList<>();
        GenerationResult r = engine.generate(new GenerationRequest(prompt(), SamplingOptions.greedy(50)), (id, text) -> {
            seen.add(id);
            return seen.size() < 3;
        });
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.tokens().length);
    }

    @Test
    void generationStopsAtTheContextWindow() {
        int room = engine.contextLength() - fixture.promptLength();
        GenerationResult r = engine.generate(new GenerationRequest(prompt(),
                new SamplingOptions(10_000, 1.0, 0, 1, 0, 1, 0, 0, 3L, List.of())), TokenListener.IGNORE);
        assertTrue(r.tokens().length <= room);
        int[] tooLong = new int[engine.contextLength()];
        ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
                () -> engine.generate(new GenerationRequest(tooLong, SamplingOptions.greedy(1)), TokenListener.IGNORE));
        assertEquals(engine.contextLength(), e.promptTokens());
        assertEquals(engine.contextLength(), e.contextLength());
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.generate(
                new GenerationRequest(new int[] {1, 1_000_000}, SamplingOptions.greedy(1)), TokenListener.IGNORE));
        assertTrue(e.getMessage().contains("1000000"), e.getMessage());
    }
}
