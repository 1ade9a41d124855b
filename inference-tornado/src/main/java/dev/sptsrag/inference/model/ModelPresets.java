package dev.sptsrag.inference.model;

import dev.sptsrag.inference.UnsupportedModelException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Shapes of well-known models (from their published {@code config.json}), for benchmarks where only
 * shapes matter and for tests. Weights come from {@link SyntheticWeights}.
 */
public final class ModelPresets {
    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        RopeScaling llama31 = RopeScaling.llama3(8, 1, 4, 8192);
        RopeScaling llama32 = RopeScaling.llama3(32, 1, 4, 8192);
        add(new ModelConfig(Architecture.LLAMA, "llama-3.1-8b", 128256, 4096, 14336, 32, 32, 8, 128, 131072,
                1e-5f, 500000, llama31, RopeLayout.SPLIT_HALF, false, false, 0));
        add(new ModelConfig(Architecture.LLAMA, "llama-3.2-1b", 128256, 2048, 8192, 16, 32, 8, 64, 131072,
                1e-5f, 500000, llama32, RopeLayout.SPLIT_HALF, false, true, 0));
        add(new ModelConfig(Architecture.LLAMA, "llama-3.2-3b", 128256, 3072, 8192, 28, 24, 8, 128, 131072,
                1e-5f, 500000, llama32, RopeLayout.SPLIT_HALF, false, true, 0));
        add(new ModelConfig(Architecture.QWEN2, "qwen2.5-0.5b", 151936, 896, 4864, 24, 14, 2, 64, 32768,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, true, true, 0));
        add(new ModelConfig(Architecture.QWEN2, "qwen2.5-7b", 152064, 3584, 18944, 28, 28, 4, 128, 32768,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, true, false, 0));
        // Qwen3-8B: head dim 128 is set in its config (hidden / heads is also 128 here, not in every size).
        add(new ModelConfig(Architecture.QWEN3, "qwen3-8b", 151936, 4096, 12288, 36, 32, 8, 128, 40960,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, false, 0));
        add(new ModelConfig(Architecture.MISTRAL, "mistral-7b-v0.3", 32768, 4096, 14336, 32, 32, 8, 128, 32768,
                1e-5f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, false, 0));
        // Tiny shapes for tests and quick checks: GQA + llama3 scaling; QKV bias + tied embeddings; sliding window;
        // QK-norm with heads wider than hidden / heads (as Qwen3-0.6B: 16 heads of 128 over a width of 1024).
        add(new ModelConfig(Architecture.LLAMA, "tiny-llama", 384, 128, 320, 3, 8, 2, 16, 2048,
                1e-5f, 500000, RopeScaling.llama3(8, 1, 4, 64), RopeLayout.SPLIT_HALF, false, false, 0));
        add(new ModelConfig(Architecture.QWEN2, "tiny-qwen2", 320, 96, 224, 2, 6, 2, 16, 2048,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, true, true, 0));
        add(new ModelConfig(Architecture.MISTRAL, "tiny-mistral", 256, 64, 160, 2, 4, 1, 32, 2048,
                1e-5f, 10000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, false, 24));
        add(new ModelConfig(Architecture.QWEN3, "tiny-qwen3", 320, 64, 160, 2, 4, 2, 32, 2048,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, true, 0));
        // Head widths of real models (128: Llama/Mistral/Qwen-7B; 64: Qwen-0.5B, Llama-3.2-1B), small
        // enough for CPU-vs-GPU parity tests: the GPU's tensor-core attention serves exactly these widths.
        add(new ModelConfig(Architecture.LLAMA, "tiny-llama-hd128", 512, 512, 1024, 2, 4, 2, 128, 4096,
                1e-5f, 500000, RopeScaling.llama3(8, 1, 4, 256), RopeLayout.SPLIT_HALF, false, false, 0));
        add(new ModelConfig(Architecture.QWEN2, "tiny-qwen2-hd64", 512, 384, 768, 2, 6, 2, 64, 4096,
                1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, true, true, 0));
    }

    private ModelPresets() {
    }

    private static void add(ModelConfig c) {
        PRESETS.put(c.name(), c);
    }

    public static Set<String> names() {
        return PRESETS.keySet();
    }

    public static ModelConfig get(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) {
            throw new UnsupportedModelException("unknown model preset '" + name + "'; known: " + names());
        }
        return c;
    }
}
