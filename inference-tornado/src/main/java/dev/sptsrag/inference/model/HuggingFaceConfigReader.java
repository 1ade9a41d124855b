package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.sptsrag.inference.json.JsonValues.integer;
import static dev.sptsrag.inference.json.JsonValues.number;
import static dev.sptsrag.inference.json.JsonValues.optBoolean;
import static dev.sptsrag.inference.json.JsonValues.optInteger;
import static dev.sptsrag.inference.json.JsonValues.optNumber;
import static dev.sptsrag.inference.json.JsonValues.optObject;
import static dev.sptsrag.inference.json.JsonValues.optString;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}. Understands both the
 * transformers 4 layout ({@code rope_theta} + {@code rope_scaling}) found in published checkpoints
 * and the transformers 5 layout ({@code rope_parameters}).
 */
public final class HuggingFaceConfigReader {
    private HuggingFaceConfigReader() {
    }

    public static ModelConfig read(Map<String, Object> c, String name, String source) {
        Object archs = c.get("architectures");
        String archClass = archs instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String s ? s : null;
        Architecture arch = Architecture.fromHuggingFace(archClass, optString(c, "model_type", null, source));

        String act = optString(c, "hidden_act", "silu", source);
        if (!act.equals("silu")) {
            throw new UnsupportedModelException(source + ": activation '" + act + "' is not supported (only silu)");
        }
        if (optBoolean(c, "mlp_bias", false, source)) {
            throw new UnsupportedModelException(source + ": MLP bias is not supported");
        }

        int hidden = toInt(integer(c, "hidden_size", source), "hidden_size", source);
        int heads = toInt(integer(c, "num_attention_heads", source), "num_attention_heads", source);
        int kvHeads = toInt(optInteger(c, "num_key_value_heads", heads, source), "num_key_value_heads", source);
        if (heads <= 0) {
            throw new ModelFormatException(source + ": num_attention_heads must be positive");
        }
        int headDim = toInt(optInteger(c, "head_dim", hidden / heads, source), "head_dim", source);

        Map<String, Object> ropeParams = optObject(c, "rope_parameters", source);
        double theta = ropeParams != null && ropeParams.get("rope_theta") != null
                ? number(ropeParams, "rope_theta", source)
                : optNumber(c, "rope_theta", 10000.0, source);
        Map<String, Object> scaling = ropeParams != null ? ropeParams : optObject(c, "rope_scaling", source);
        RopeScaling ropeScaling = ropeScaling(scaling, source);

        boolean qkvBias = arch.qkvBias() || optBoolean(c, "attention_bias", false, source);
        boolean tied = optBoolean(c, "tie_word_embeddings", arch.tiedEmbeddingsByDefault(), source);
        int window = 0;
        boolean windowed = switch (arch.slidingWindowRule()) {
            case NONE -> false;
            case ALWAYS -> true;
            case OPT_IN -> optBoolean(c, "use_sliding_window", false, source);
        };
        if (windowed && c.get("sliding_window") != null) {
            window = toInt(integer(c, "sliding_window", source), "sliding_window", source);
        }
        return new ModelConfig(arch, name,
                toInt(integer(c, "vocab_size", source), "vocab_size", source),
                hidden,
                toInt(integer(c, "intermediate_size", source), "intermediate_size", source),
                toInt(integer(c, "num_hidden_layers", source), "num_hidden_layers", source),
                heads, kvHeads, headDim,
                toInt(optInteger(c, "max_position_embeddings", 4096, source), "max_position_embeddings", source),
                (float) optNumber(c, "rms_norm_eps", 1e-6, source),
                // Checkpoints keep split-half RoPE pairs in every family (only GGUF files permute them).
                theta, ropeScaling, RopeLayout.SPLIT_HALF, qkvBias, tied, window);
    }

    private static RopeScaling ropeScaling(Map<String, Object> s, String source) {
        if (s == null) {
            return RopeScaling.NONE;
        }
        String type = optString(s, "rope_type", optString(s, "type", "default", source), source)
                .toLowerCase(Locale.ROOT);
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "llama3" -> RopeScaling.llama3(number(s, "factor", source),
                    optNumber(s, "low_freq_factor", 1.0, source), optNumber(s, "high_freq_factor", 4.0, source),
                    toInt(integer(s, "original_max_position_embeddings", source),
                            "original_max_position_embeddings", source));
            default -> throw new UnsupportedModelException(source + ": rope scaling '" + type
                    + "' is not supported (supported: default, llama3)");
        };
    }

    private static int toInt(long v, String key, String source) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ModelFormatException(source + ": " + key + " = " + v + " is out of range");
        }
        return (int) v;
    }
}
