package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.inference.spts.SkipStatistics;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefillFlopsTest {

    /**
     * tiny-llama: hidden 128, intermediate 320, 3 layers, 8 query heads and 2 KV heads of width 16, vocabulary
     * 384. A 10-token prompt, per layer: Q 2·128·128·10 = 327,680; K and V 2·128·32·10 = 81,920 each; O
     * 327,680; attention 55 causal pairs × 4·16·8 = 28,160; FFN 6·128·320·10 = 2,457,600. Layer: 3,304,960;
     * three layers 9,914,880; logits of the last token 2·128·384 = 98,304; total 10,013,184.
     */
    @Test
    void theFullPrefillOfTinyLlamaByHand() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 1);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(1), 64, 4, null)) {
            int[] prompt = new SplittableRandom(1).ints(10, 0, 384).toArray();
            PrefillFlops f = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1)),
                    TokenListener.IGNORE).prefillFlops();
            assertEquals(327_680 + 2 * 81_920 + 327_680, f.projections()[0]);
            assertEquals(28_160, f.attention()[2]);
            assertEquals(2_457_600, f.ffn()[1]);
            assertEquals(0, f.selection()[0]);
            assertEquals(3_304_960, f.layer(1));
            assertEquals(98_304, f.logits());
            assertEquals(10_013_184, f.total());
            assertEquals(PrefillFlops.full(m.config(), 10), f);
        }
    }

    @Test
    void aSlidingWindowBoundsTheAttentionPairs() {
        ModelConfig mistral = dev.sptsrag.inference.model.ModelPresets.get("tiny-mistral"); // window 24, 4 heads of 32
        // 30 tokens: positions 0..23 see 1..24 keys (300 pairs), positions 24..29 see 24 each (144).
        assertEquals(444L * 4 * 32 * 4, PrefillFlops.full(mistral, 30).attention()[0]);
        assertEquals(444, PrefillFlops.causalPairs(java.util.stream.IntStream.range(0, 30).toArray(), 30, 24));
        // Sparse positions 0, 10, 30, 31, window 20: 1 + 2 (10 sees 0) + 1 (30 sees only itself) + 2 = 6.
        assertEquals(6, PrefillFlops.causalPairs(new int[] {0, 10, 30, 31}, 4, 20));
    }

    /** Under a skip budget the count follows the rows that ran, as the statistics list them. */
    @Test
    void aSkippingPrefillCountsTheRowsThatRan() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 3);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), 256, 0, null)) {
            ModelConfig c = m.config();
            int n = 200;
            int[] prompt = new SplittableRandom(5).ints(n, 0, c.vocabSize()).toArray();
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {50}, 40, 0, 0);
            GenerationResult r = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                    TokenListener.IGNORE);
            SkipStatistics s = r.skipStatistics();
            PrefillFlops f = r.prefillFlops();
            assertEquals(s.flops(), f);
            PrefillFlops full = PrefillFlops.full(c, n);
            assertEquals(full.layer(0), f.layer(0), "layer 0 runs in full and probes nothing");
            long h = c.hiddenSize(), q = c.queryDim(), kv = c.kvDim();
            for (int l = 1; l < 3; l++) {
                int cand = s.candidates()[l];
                int[] att = s.attentionTokens(l);
                int a = att.length;
                // Keys for every candidate (the probe needs them); Q, V and O for the active rows.
                assertEquals(2 * h * (q * a + kv * (cand + a)) + 2 * q * h * a, f.projections()[l], "layer " + l);
                long pairs = (long) a * (a + 1) / 2;
                assertEquals(pairs * 4 * c.headDim() * c.headCount(), f.attention()[l]);
                assertEquals(6L * h * c.intermediateSize() * s.ffnTokens(l).length, f.ffn()[l]);
            }
            // Layer 1 probes for itself and for the removal before layer 2; layer 2 for itself.
            assertEquals(2 * h * q + 2L * c.headDim() * c.headCount() * s.candidates()[2], f.selection()[2]);
            assertTrue(f.ratioTo(full) < 0.6, "ratio " + f.ratioTo(full));
        }
    }
}
