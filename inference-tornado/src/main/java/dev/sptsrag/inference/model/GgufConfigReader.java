package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufMetadata;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.util.Optional;

/**
 * Reads llama.cpp's GGUF metadata ({@code <arch>.embedding_length} and friends) into a
 * {@link ModelConfig}. The Q/K row layout is the family's ({@link Architecture#ggufRopeLayout}); QKV bias
 * and tied embeddings are read off the tensors present. Llama 3.1 scaling arrives as the
 * {@code rope_freqs.weight} tensor.
 */
public final class GgufConfigReader {
    private GgufConfigReader() {
    }

    public static ModelConfig read(GgufMetadata md, TensorSource tensors, String fallbackName) {
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.fromGguf(archName);
        String p = archName + ".";
        int hidden = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
        if (heads <= 0) {
            throw new ModelFormatException("GGUF " + p + "attention.head_count must be positive: " + heads);
        }
        int kvHeads = md.findInt(p + "attention.head_count_kv").orElse(heads);
        int headDim = md.findInt(p + "attention.key_length").orElse(hidden / heads);
        int ropeDims = md.findInt(p + "rope.dimension_count").orElse(headDim);
        if (ropeDims != headDim) {
            throw new UnsupportedModelException("partial rotary embedding (" + ropeDims + " of " + headDim
                    + " dimensions) is not supported");
        }
        WeightTensor embedding = tensors.find("token_embd.weight")
                .orElseThrow(() -> new ModelFormatException(tensors.description() + ": missing tensor token_embd.weight"));
        int vocab = md.findInt(p + "vocab_size").orElse(Math.toIntExact(embedding.dim(0)));
        double theta = md.findDouble(p + "rope.freq_base").orElse(10000.0);

        RopeScaling scaling = RopeScaling.NONE;
        Optional<WeightTensor> freqs = tensors.find("rope_freqs.weight");
        if (freqs.isPresent()) {
            WeightTensor f = freqs.get();
            if (f.elementCount() != headDim / 2) {
                throw new ModelFormatException("rope_freqs.weight has " + f.elementCount() + " values, expected "
                        + headDim / 2);
            }
            float[] factors = new float[headDim / 2];
            Dequantizer.dequantize(f.type(), f.data(), 0, factors, 0, factors.length);
            try {
                scaling = RopeScaling.frequencyFactors(factors);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException("rope_freqs.weight: " + e.getMessage());
            }
        } else {
            String type = md.findString(p + "rope.scaling.type").orElse("none");
            if (!type.equals("none")) {
                throw new UnsupportedModelException("GGUF rope scaling '" + type + "' is not supported");
            }
        }
        boolean tied = tensors.find("output.weight").isEmpty();
        boolean bias = tensors.find("blk.0.attn_q.bias").isPresent();
        String name = md.findString("general.name").orElse(fallbackName);
        return new ModelConfig(arch, name, vocab, hidden, md.getInt(p + "feed_forward_length"),
                md.getInt(p + "block_count"), heads, kvHeads, headDim, md.getInt(p + "context_length"),
                (float) md.getDouble(p + "attention.layer_norm_rms_epsilon"), theta, scaling, arch.ggufRopeLayout(), bias, tied,
                md.findInt(p + "attention.sliding_window").orElse(0));
    }
}
