package dev.sptsrag.inference.convert;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufWriter;
import dev.sptsrag.inference.model.Architecture;
import dev.sptsrag.inference.model.HuggingFaceConfigReader;
import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.model.RopeScaling;
import dev.sptsrag.inference.model.TensorNaming;
import dev.sptsrag.inference.safetensors.HuggingFaceModelFolder;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.Quantizer;
import dev.sptsrag.inference.tensor.WeightTensor;
import dev.sptsrag.inference.tokenizer.GgufTokenizerMetadata;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Converts a Hugging Face model folder to a GGUF file that llama.cpp-compatible readers (ours
 * included) load: llama.cpp's metadata keys and tensor names, the tokenizer and chat template in
 * {@code tokenizer.*} metadata, Q/K rows (and Q/K biases and norms) of the llama family permuted for
 * interleaved RoPE, Llama 3.1
 * scaling as a {@code rope_freqs.weight} tensor, 1-D tensors in F32 and matrices in the chosen type.
 * Tensors are streamed one at a time, so memory stays small whatever the model size.
 */
public final class GgufConverter {
    /** Matrix types the converter writes. */
    public static final Set<GgmlType> TARGET_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);

    /** What was written. */
    public record Result(Path output, ModelConfig config, int tensorCount, GgmlType type, int fallbackTensors) {
    }

    private GgufConverter() {
    }

    public static Result convert(Path folderPath, Path output, GgmlType type, Consumer<String> log) throws IOException {
        if (!TARGET_TYPES.contains(type)) {
            throw new IllegalArgumentException("cannot convert to " + type + "; choose one of f32, f16, bf16, q8_0");
        }
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(folderPath)) {
            ModelConfig config = HuggingFaceConfigReader.read(folder.config(), folderPath.getFileName().toString(),
                    folderPath.resolve("config.json").toString());
            ModelWeights weights = ModelWeights.load(config, folder, TensorNaming.HUGGING_FACE);
            Path tokenizerJson = folder.tokenizerJson().orElseThrow(() ->
                    new ModelFormatException(folderPath + ": no tokenizer.json to carry into the GGUF file"));
            Tokenizer tokenizer = Tokenizer.fromHuggingFace(tokenizerJson, folder.tokenizerConfigJson().orElse(null));

            GgufWriter writer = new GgufWriter();
            Architecture architecture = config.architecture();
            String arch = architecture.ggufNameWritten();
            writeModelMetadata(writer, config, arch, type);
            writer.putAll(GgufTokenizerMetadata.of(tokenizer));
            folder.chatTemplate().ifPresent(t -> writer.putString("tokenizer.chat_template", t));

            // The family's GGUF layout: llama.cpp's llama graph expects interleaved RoPE pairs.
            boolean permute = architecture.ggufRopeLayout() == RopeLayout.INTERLEAVED;
            TensorNaming g = TensorNaming.GGUF;
            int[] fallbacks = {0};
            matrix(writer, g.embedding(), weights.tokenEmbedding(), type, 0, fallbacks);
            for (int l = 0; l < config.layerCount(); l++) {
                LayerWeights w = weights.layers().get(l);
                vector(writer, g.layer(l, TensorNaming.Role.ATTENTION_NORM), w.attentionNorm(), 0, 0);
                matrix(writer, g.layer(l, TensorNaming.Role.QUERY), w.query(), type,
                        permute ? config.headCount() : 0, fallbacks);
                matrix(writer, g.layer(l, TensorNaming.Role.KEY), w.key(), type,
                        permute ? config.kvHeadCount() : 0, fallbacks);
                matrix(writer, g.layer(l, TensorNaming.Role.VALUE), w.value(), type, 0, fallbacks);
                matrix(writer, g.layer(l, TensorNaming.Role.ATTENTION_OUTPUT), w.output(), type, 0, fallbacks);
                if (w.queryBias() != null) {
                    vector(writer, g.layer(l, TensorNaming.Role.QUERY_BIAS), w.queryBias(),
                            permute ? config.headCount() : 0, config.headDim());
                    vector(writer, g.layer(l, TensorNaming.Role.KEY_BIAS), w.keyBias(),
                            permute ? config.kvHeadCount() : 0, config.headDim());
                    vector(writer, g.layer(l, TensorNaming.Role.VALUE_BIAS), w.valueBias(), 0, 0);
                }
                if (w.queryNorm() != null) {
                    // One head wide: permuted like a single head where the family's rows are.
                    vector(writer, g.layer(l, TensorNaming.Role.QUERY_NORM), w.queryNorm(), permute ? 1 : 0,
                            config.headDim());
                    vector(writer, g.layer(l, TensorNaming.Role.KEY_NORM), w.keyNorm(), permute ? 1 : 0,
                            config.headDim());
                }
                vector(writer, g.layer(l, TensorNaming.Role.FFN_NORM), w.ffnNorm(), 0, 0);
                matrix(writer, g.layer(l, TensorNaming.Role.GATE), w.gate(), type, 0, fallbacks);
                matrix(writer, g.layer(l, TensorNaming.Role.UP), w.up(), type, 0, fallbacks);
                matrix(writer, g.layer(l, TensorNaming.Role.DOWN), w.down(), type, 0, fallbacks);
            }
            vector(writer, g.outputNorm(), weights.outputNorm(), 0, 0);
            if (!config.tiedEmbeddings()) {
                matrix(writer, g.output(), weights.output(), type, 0, fallbacks);
            }
            if (config.ropeScaling().type() == RopeScaling.Type.LLAMA3) {
                float[] factors = config.ropeScaling().toFrequencyFactors(config.headDim(), config.ropeTheta());
                writer.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {factors.length}, factors);
            } else if (config.ropeScaling().type() != RopeScaling.Type.NONE) {
                throw new UnsupportedModelException("cannot convert rope scaling " + config.ropeScaling());
            }
            writer.write(output);
            int count = weights.all().size() + (config.ropeScaling().type() == RopeScaling.Type.LLAMA3 ? 1 : 0);
            if (fallbacks[0] > 0) {
                log.accept(fallbacks[0] + " matrices have rows that are not whole " + type + " blocks; written as F16");
            }
            return new Result(output, config, count, type, fallbacks[0]);
        }
    }

    private static void writeModelMetadata(GgufWriter w, ModelConfig c, String arch, GgmlType type) {
        String p = arch + ".";
        w.putString("general.architecture", arch);
        w.putString("general.name", c.name());
        w.putUint32("general.file_type", switch (type) { // llama.cpp's llama_ftype values
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(type.name());
        });
        w.putUint32(p + "context_length", c.contextLength());
        w.putUint32(p + "embedding_length", c.hiddenSize());
        w.putUint32(p + "block_count", c.layerCount());
        w.putUint32(p + "feed_forward_length", c.intermediateSize());
        w.putUint32(p + "attention.head_count", c.headCount());
        w.putUint32(p + "attention.head_count_kv", c.kvHeadCount());
        w.putUint32(p + "attention.key_length", c.headDim());
        w.putUint32(p + "attention.value_length", c.headDim());
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", c.normEps());
        w.putFloat32(p + "rope.freq_base", (float) c.ropeTheta());
        w.putUint32(p + "rope.dimension_count", c.headDim());
        w.putUint32(p + "vocab_size", c.vocabSize());
        if (c.slidingWindow() > 0) {
            // llama.cpp's key for windowed attention (its llama graph itself ignores it for Mistral)
            w.putUint32(p + "attention.sliding_window", c.slidingWindow());
        }
    }

    /**
     * Adds a matrix converted row by row. With {@code permuteHeads > 0} the rows of each head are
     * reordered from split-half to interleaved pairs: new row {@code 2i + j} is old row
     * {@code j·headDim/2 + i}.
     */
    private static void matrix(GgufWriter writer, String name, WeightTensor src, GgmlType type, int permuteHeads,
                               int[] fallbacks) {
        int rows = Math.toIntExact(src.dim(0));
        int cols = Math.toIntExact(src.dim(1));
        GgmlType target = type;
        if (cols % type.blockSize() != 0) {
            target = GgmlType.F16;
            fallbacks[0]++;
        }
        GgmlType out = target;
        long rowBytes = out.byteSize(cols);
        int headDim = permuteHeads > 0 ? rows / permuteHeads : 0;
        writer.addTensor(name, out, new long[] {rows, cols}, (MemorySegment dst) -> {
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                int from = permuteHeads > 0 ? permutedSource(r, headDim) : r;
                Dequantizer.dequantizeRow(src, from, row, 0);
                Quantizer.quantize(out, row, 0, dst, r * rowBytes, cols);
            }
        });
    }

    private static void vector(GgufWriter writer, String name, WeightTensor src, int permuteHeads, int headDim) {
        int n = Math.toIntExact(src.elementCount());
        float[] values = new float[n];
        Dequantizer.dequantize(src.type(), src.data(), 0, values, 0, n);
        if (permuteHeads > 0) {
            float[] permuted = new float[n];
            for (int i = 0; i < n; i++) {
                permuted[i] = values[permutedSource(i, headDim)];
            }
            values = permuted;
        }
        writer.addTensor(name, GgmlType.F32, new long[] {n}, values);
    }

    /** The split-half index that lands at interleaved index {@code r}. */
    static int permutedSource(int r, int headDim) {
        int head = r / headDim;
        int within = r % headDim;
        int half = headDim / 2;
        return head * headDim + (within % 2) * half + within / 2;
    }
}
