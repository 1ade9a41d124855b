package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.NonFiniteLogitsException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.testing.NanWeights;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A GGUF whose weights hold NaN fails generation with a message that says so, on every sampling path, on the CPU. */
class NonFiniteLogitsTest {
    private static final String FIXTURE = "llama-gqa-rope3";

    /** Greedy (the backend's argmax), top-k (the backend's candidates) and penalties (the sampler's own scan). */
    private static final List<SamplingOptions> PATHS = List.of(
            SamplingOptions.greedy(8),
            new SamplingOptions(8, 1.0, 20, 1, 0, 1, 0, 0, 7L, List.of()),
            new SamplingOptions(8, 1.0, 0, 1, 0, 1.1, 0, 0, 7L, List.of()));

    private static InferenceEngine engine(LoadedModel model) {
        return new InferenceEngine(model.config(), model.weights(), model.tokenizer(), new CpuBackend(2), 160, 32, null);
    }

    @Test
    void nanInAnFfnNormFailsAtThePrefill(@TempDir Path dir) {
        ParityFixture fixture = ParityFixture.load(FIXTURE);
        Path gguf = NanWeights.write(FIXTURE, dir.resolve("nan.gguf"), "blk.0.ffn_norm.weight", 0, 1);
        int[] prompt = Arrays.copyOf(fixture.sequence(), fixture.promptLength());
        try (LoadedModel model = LoadedModel.open(gguf); InferenceEngine engine = engine(model)) {
            for (SamplingOptions options : PATHS) {
                NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                        () -> engine.generate(new GenerationRequest(prompt, options), TokenListener.IGNORE), options.toString());
                assertEquals(1, e.token());
                assertTrue(e.getMessage().contains("non-finite logits (NaN") && e.getMessage().contains("at the prefill")
                        && e.getMessage().contains("corrupt"), e.getMessage());
            }
        }
    }

    @Test
    void nanInTheEmbeddingOfAGeneratedTokenFailsWhenThatTokenIsDecoded(@TempDir Path dir) {
        ParityFixture fixture = ParityFixture.load(FIXTURE);
        int[] prompt = Arrays.copyOf(fixture.sequence(), fixture.promptLength());
        int[] continuation = Arrays.copyOfRange(fixture.sequence(), fixture.promptLength(), fixture.sequence().length);
        int hidden;
        int end; // the answer stops before its first end-of-generation token
        try (LoadedModel clean = LoadedModel.open(fixture.folder())) {
            hidden = clean.config().hiddenSize();
            end = (int) Arrays.stream(continuation).takeWhile(t -> !clean.tokenizer().specialTokens().isEndOfGeneration(t)).count();
        }
        // the first greedy token that is not in the prompt or earlier in the answer: the model only reads its
        // (untied) embedding row when it decodes it, so the logits go bad at the token after it
        int i = IntStream.range(0, end - 1)
                .filter(j -> IntStream.concat(Arrays.stream(prompt), Arrays.stream(continuation, 0, j)).noneMatch(t -> t == continuation[j]))
                .findFirst().orElseThrow();
        Path gguf = NanWeights.write(FIXTURE, dir.resolve("nan.gguf"), "token_embd.weight", (long) continuation[i] * hidden, hidden);
        try (LoadedModel model = LoadedModel.open(gguf); InferenceEngine engine = engine(model)) {
            int[] streamed = new int[1];
            NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class, () -> engine.generate(
                    new GenerationRequest(prompt, SamplingOptions.greedy(continuation.length)), (id, text) -> {
                        streamed[0]++;
                        return true;
                    }));
            assertEquals(i + 2, e.token());
            assertEquals(i + 1, streamed[0], "the tokens before the bad logits were streamed");
            assertTrue(e.getMessage().contains("at token " + (i + 2) + " (decode)"), e.getMessage());
        }
    }
}
