package dev.sptsrag.inference.model;

import dev.sptsrag.inference.UnsupportedModelException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The decoder families the engine runs, with every fact that tells them apart. They share one forward
 * pass; readers and the converter ask these facts and turn them into data in {@link ModelConfig},
 * so no other class compares architectures. Facts are those of Hugging Face transformers' model
 * classes and llama.cpp's converter (named per fact below).
 */
public enum Architecture {
    LLAMA("llama", "LlamaForCausalLM", "llama", RopeLayout.INTERLEAVED, false, false, SlidingWindowRule.NONE, "llama"),
    // llama.cpp converts Mistral (7B v0.x) to its llama graph: the layer is the same.
    MISTRAL("mistral", "MistralForCausalLM", "llama", RopeLayout.INTERLEAVED, false, false, SlidingWindowRule.ALWAYS,
            "llama"),
    QWEN2("qwen2", "Qwen2ForCausalLM", "qwen2", RopeLayout.SPLIT_HALF, true, false, SlidingWindowRule.OPT_IN, "qwen"),
    // Qwen2's layer without the QKV bias, with an RMSNorm over each query and key head before RoPE.
    QWEN3("qwen3", "Qwen3ForCausalLM", "qwen3", RopeLayout.SPLIT_HALF, false, true, SlidingWindowRule.OPT_IN, "qwen");

    /** When a Hugging Face {@code config.json}'s {@code sliding_window} applies. */
    public enum SlidingWindowRule {
        /** The family has no windowed attention; the key is ignored. */
        NONE,
        /** Always (Mistral). */
        ALWAYS,
        /** Only with {@code use_sliding_window: true} (Qwen2, Qwen3; their published configs say false). */
        OPT_IN
    }

    private final String ggufName;
    private final String huggingFaceClass;
    private final String ggufNameWritten;
    private final RopeLayout ggufRopeLayout;
    private final boolean qkvBias;
    private final boolean qkNorm;
    private final SlidingWindowRule slidingWindowRule;
    private final String skipPresetFamily;

    Architecture(String ggufName, String huggingFaceClass, String ggufNameWritten, RopeLayout ggufRopeLayout,
                 boolean qkvBias, boolean qkNorm, SlidingWindowRule slidingWindowRule, String skipPresetFamily) {
        this.ggufName = ggufName;
        this.huggingFaceClass = huggingFaceClass;
        this.ggufNameWritten = ggufNameWritten;
        this.ggufRopeLayout = ggufRopeLayout;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
        this.slidingWindowRule = slidingWindowRule;
        this.skipPresetFamily = skipPresetFamily;
    }

    /** The value of {@code general.architecture} in GGUF files of this family. */
    public String ggufName() { return ggufName; }

    /** The class named in a Hugging Face {@code config.json}'s {@code architectures}. */
    public String huggingFaceClass() { return huggingFaceClass; }

    /**
     * The {@code general.architecture} our converter writes: the llama.cpp graph that runs the family
     * (llama.cpp's own converter writes Mistral as {@code llama} too).
     */
    public String ggufNameWritten() { return ggufNameWritten; }

    /**
     * How GGUF files of this family lay out Q/K rows: llama.cpp's converter permutes the llama family's
     * rows to {@link RopeLayout#INTERLEAVED} pairs and keeps the Qwen families' split halves (its
     * NeoX-style RoPE). Hugging Face checkpoints are {@link RopeLayout#SPLIT_HALF} in every family.
     */
    public RopeLayout ggufRopeLayout() { return ggufRopeLayout; }

    /**
     * Whether Q, K and V always carry a bias (Qwen2's attention hard-codes it); other families have one
     * only where their config says {@code attention_bias: true}.
     */
    public boolean qkvBias() { return qkvBias; }

    /**
     * Whether each query and key head is RMS-normalised, with a weight of head width shared by all heads,
     * between the projection and RoPE (Qwen3's {@code q_norm}/{@code k_norm}).
     */
    public boolean qkNorm() { return qkNorm; }

    /** When a Hugging Face config's {@code sliding_window} applies. */
    public SlidingWindowRule slidingWindowRule() { return slidingWindowRule; }

    /**
     * {@code tie_word_embeddings} where a Hugging Face config omits it: false for every family here
     * (the default of transformers' LlamaConfig, MistralConfig, Qwen2Config and Qwen3Config).
     */
    public boolean tiedEmbeddingsByDefault() { return false; }

    /**
     * The SPTS paper's setting that fits this family ({@code llama}: Llama-3.1-8B, {@code qwen}:
     * Qwen-2.5-7B), scaled to the model's depth when a request asks for the {@code default} skip preset.
     */
    public String skipPresetFamily() { return skipPresetFamily; }

    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw unsupported("GGUF architecture '" + name + "'");
    }

    /** From {@code architectures[0]} or, failing that, {@code model_type} of a config.json. */
    public static Architecture fromHuggingFace(String architectureClass, String modelType) {
        for (Architecture a : values()) {
            if (a.huggingFaceClass.equals(architectureClass)) {
                return a;
            }
        }
        if (architectureClass == null && modelType != null) {
            for (Architecture a : values()) {
                if (a.ggufName.equals(modelType.toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
        }
        throw unsupported("Hugging Face architecture '" + (architectureClass != null ? architectureClass : modelType) + "'");
    }

    private static UnsupportedModelException unsupported(String what) {
        String supported = Arrays.stream(values()).map(a -> a.huggingFaceClass + " (GGUF '" + a.ggufName + "')")
                .collect(Collectors.joining(", "));
        return new UnsupportedModelException(what + " is not supported; supported architectures: " + supported);
    }
}
