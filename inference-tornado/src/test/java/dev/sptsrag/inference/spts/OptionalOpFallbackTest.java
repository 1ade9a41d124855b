package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.OptionalOp;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.ltp.SyntheticLowRankProxy;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend without the optional ops (as a new backend starts out) runs SPTS through the fallbacks
 * {@link OptionalOp} documents, choosing the same tokens as the backend that has them: the decoder gathers
 * then normalises, and the engine takes no LTP proxy. Logits are compared to float rounding, not bit for bit:
 * on the CPU a later run in the same JVM may be in another JIT tier, whose matmul sums in another order
 * (docs/architecture.md, "Fixed-order sums").
 */
class OptionalOpFallbackTest {
    private static final Set<String> OPTIONAL = Set.of("gatherRmsNorm", "swigluHalves", "selectRows");

    /** The CPU backend with every optional op refused, as a backend that lacks them would; counts refusals. */
    private static Backend withoutOptionalOps(CpuBackend cpu, AtomicInteger refused) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (self, method, args) -> {
                    String name = method.getName();
                    if (name.equals("supports")) {
                        return false;
                    }
                    boolean scaledNorms = name.equals("rowNorms") && args.length == 4;
                    if (OPTIONAL.contains(name) || scaledNorms) {
                        refused.incrementAndGet();
                        throw new UnsupportedOperationException(name + " is optional here");
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static GenerationResult run(Backend backend, LoadedModel m, SkipBudget budget, boolean proxy, float[] logits) {
        ModelConfig c = m.config();
        int[] prompt = new SplittableRandom(2).ints(120, 0, c.vocabSize()).toArray();
        try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, backend, 200, 0, null)) {
            if (proxy) {
                assertEquals(backend.supports(OptionalOp.LTP_ON_DEVICE),
                        engine.useLowRankProxy(SyntheticLowRankProxy.of(c, m.weights(), 1)));
            }
            GenerationResult r = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(4), budget),
                    TokenListener.IGNORE);
            engine.lastLogits(logits);
            return r;
        }
    }

    @Test
    void sptsWithoutTheFusedGatherNormIsBitForBitTheSame() {
        SkipBudget budget = new SkipBudget(SkipMode.PAP, 1, new int[] {2}, new int[] {40}, 30, 1, 2);
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            float[] expected = new float[m.config().vocabSize()];
            float[] actual = new float[m.config().vocabSize()];
            GenerationResult full = run(new CpuBackend(2), m, budget, false, expected);
            AtomicInteger refused = new AtomicInteger();
            GenerationResult fallback = run(withoutOptionalOps(new CpuBackend(2), refused), m, budget, false, actual);
            assertEquals(0, refused.get(), "no optional op was called");
            assertArrayEquals(full.tokens(), fallback.tokens());
            for (int l = 0; l < m.config().layerCount(); l++) {
                assertArrayEquals(full.skipStatistics().attentionTokens(l), fallback.skipStatistics().attentionTokens(l));
                assertArrayEquals(full.skipStatistics().ffnTokens(l), fallback.skipStatistics().ffnTokens(l));
            }
            assertClose(expected, actual, "logits after the decoded tokens");
        }
    }

    @Test
    void withoutLtpOnTheDeviceTheProxyIsNotUsedAndFfnRowsFollowTheProbe() {
        SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {40}, 30, 1, 2);
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            float[] withoutProxy = new float[m.config().vocabSize()];
            float[] fallbackLogits = new float[m.config().vocabSize()];
            float[] withProxy = new float[m.config().vocabSize()];
            GenerationResult probeOnly = run(new CpuBackend(2), m, budget, false, withoutProxy);
            AtomicInteger refused = new AtomicInteger();
            GenerationResult fallback = run(withoutOptionalOps(new CpuBackend(2), refused), m, budget, true, fallbackLogits);
            GenerationResult ltp = run(new CpuBackend(2), m, budget, true, withProxy);
            assertEquals(0, refused.get(), "no optional op was called");
            assertArrayEquals(probeOnly.tokens(), fallback.tokens());
            assertClose(withoutProxy, fallbackLogits, "the fallback is the probe-only ranking");
            boolean proxyChangedSomething = false;
            for (int l = 0; l < m.config().layerCount(); l++) {
                assertArrayEquals(probeOnly.skipStatistics().ffnTokens(l), fallback.skipStatistics().ffnTokens(l));
                proxyChangedSomething |= !java.util.Arrays.equals(probeOnly.skipStatistics().ffnTokens(l),
                        ltp.skipStatistics().ffnTokens(l));
            }
            assertTrue(proxyChangedSomething, "on a backend with LTP the proxy changes the FFN rows (else this proves nothing)");
        }
    }

    @Test
    void aBackendWithoutAnOptionalOpSaysSoAndTheOpRefusesNamingIt() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            assertTrue(cpu.supports(OptionalOp.GATHER_RMS_NORM) && cpu.supports(OptionalOp.LTP_ON_DEVICE));
        }
        // A backend that implements only the required methods: the interface's defaults answer the rest.
        Backend bare = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (self, method, args) -> {
                    if (method.isDefault()) {
                        return InvocationHandler.invokeDefault(self, method, args);
                    }
                    if (method.getName().equals("name")) {
                        return "bare";
                    }
                    throw new AssertionError(method.getName() + " is not reached here");
                });
        for (OptionalOp op : OptionalOp.values()) {
            assertFalse(bare.supports(op), op.name());
        }
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> bare.selectRows(null, 0, 0, 0, 0, new int[0]));
        assertEquals("the bare backend lacks LTP_ON_DEVICE (callers check supports)", e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> bare.gatherRmsNorm(null, new int[0], 0, null, 0, null));
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        assertTrue(worst <= 1e-4 * scale, what + ": max|Δ| " + worst + " of max|ref| " + scale);
    }
}
