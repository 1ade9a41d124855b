package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.engine.BatchScenario;
import dev.sptsrag.inference.engine.BatchSettings;
import dev.sptsrag.inference.engine.Generation;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On the GPU, generations run together — mixed skip budgets, sampling seeds, prompts chunked across steps while
 * others decode, and a prefix hit — give each one exactly the tokens it gets alone. Heads of 64 and 128 take the
 * flash prefill for chunks and flash-decoding for decode rows, with a block table per sequence.
 */
class CudaBatchingTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-hd128", "tiny-qwen2-hd64", "tiny-llama"})
    void aBatchOfMixedBudgetsGivesEveryGenerationTheTokensItGetsAlone(String preset) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 5)) {
            List<BatchScenario.Ask> asks = BatchScenario.asks(m.config());
            int[][] expected = BatchScenario.alone(m, asks, CudaTesting::open);
            try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, CudaTesting.open(),
                    BatchScenario.CONTEXT, 32, new BatchSettings(4, 0, true), null)) {
                List<Generation> generations = BatchScenario.runTogether(engine.batcher(), asks, -1);
                for (int i = 0; i < asks.size(); i++) {
                    assertArrayEquals(expected[i], generations.get(i).result().tokens(), preset + " generation " + i);
                }
                assertEquals(engine.cache().blockCount(), engine.cache().availableBlocks());
            }
        }
    }
}
