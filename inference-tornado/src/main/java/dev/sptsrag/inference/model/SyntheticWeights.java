package dev.sptsrag.inference.model;

import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.Quantizer;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Deterministic pseudo-random float32 weights for a {@link ModelConfig}, named as in a Hugging Face
 * checkpoint. Matrices are uniform with variance {@code 1/in} (activations keep their scale through
 * the layers), norm scales are {@code 1 ± 0.1}, biases small. The same (config, seed) always gives
 * the same bytes, so benchmarks and tests are repeatable.
 */
public final class SyntheticWeights implements TensorSource, AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final Map<String, WeightTensor> tensors = new LinkedHashMap<>();
    private final String description;

    private final GgmlType matrixType;

    private SyntheticWeights(ModelConfig config, long seed, GgmlType matrixType) {
        if (matrixType != GgmlType.F32 && matrixType != GgmlType.BF16) {
            throw new IllegalArgumentException("synthetic weights are F32 or BF16, not " + matrixType);
        }
        this.matrixType = matrixType;
        this.description = "synthetic " + config.name() + " (seed " + seed + ", " + matrixType + ")";
        TensorNaming n = TensorNaming.HUGGING_FACE;
        int hidden = config.hiddenSize();
        add(n.embedding(), seed, config.vocabSize(), hidden, Kind.EMBEDDING);
        for (int l = 0; l < config.layerCount(); l++) {
            add(n.layer(l, TensorNaming.Role.ATTENTION_NORM), seed, 1, hidden, Kind.NORM);
            add(n.layer(l, TensorNaming.Role.QUERY), seed, config.queryDim(), hidden, Kind.MATRIX);
            add(n.layer(l, TensorNaming.Role.KEY), seed, config.kvDim(), hidden, Kind.MATRIX);
            add(n.layer(l, TensorNaming.Role.VALUE), seed, config.kvDim(), hidden, Kind.MATRIX);
            add(n.layer(l, TensorNaming.Role.ATTENTION_OUTPUT), seed, hidden, config.queryDim(), Kind.MATRIX);
            if (config.qkvBias()) {
                add(n.layer(l, TensorNaming.Role.QUERY_BIAS), seed, 1, config.queryDim(), Kind.BIAS);
                add(n.layer(l, TensorNaming.Role.KEY_BIAS), seed, 1, config.kvDim(), Kind.BIAS);
                add(n.layer(l, TensorNaming.Role.VALUE_BIAS), seed, 1, config.kvDim(), Kind.BIAS);
            }
            if (config.qkNorm()) {
                add(n.layer(l, TensorNaming.Role.QUERY_NORM), seed, 1, config.headDim(), Kind.NORM);
                add(n.layer(l, TensorNaming.Role.KEY_NORM), seed, 1, config.headDim(), Kind.NORM);
            }
            add(n.layer(l, TensorNaming.Role.FFN_NORM), seed, 1, hidden, Kind.NORM);
            add(n.layer(l, TensorNaming.Role.GATE), seed, config.intermediateSize(), hidden, Kind.MATRIX);
            add(n.layer(l, TensorNaming.Role.UP), seed, config.intermediateSize(), hidden, Kind.MATRIX);
            add(n.layer(l, TensorNaming.Role.DOWN), seed, hidden, config.intermediateSize(), Kind.MATRIX);
        }
        add(n.outputNorm(), seed, 1, hidden, Kind.NORM);
        if (!config.tiedEmbeddings()) {
            add(n.output(), seed, config.vocabSize(), hidden, Kind.MATRIX);
        }
    }

    /** Generates all weights of {@code config} as float32 (in parallel; a 1B model takes a few seconds). */
    public static SyntheticWeights generate(ModelConfig config, long seed) {
        return new SyntheticWeights(config, seed, GgmlType.F32);
    }

    /**
     * Generates the weights with matrices (embedding included) stored as {@code matrixType}, F32 or
     * BF16 (half the memory: what an 8B model on a GPU wants); norms and biases stay F32. The values
     * are the F32 ones rounded.
     */
    public static SyntheticWeights generate(ModelConfig config, long seed, GgmlType matrixType) {
        return new SyntheticWeights(config, seed, matrixType);
    }

    /** The weights as a validated {@link ModelWeights}. */
    public ModelWeights weights(ModelConfig config) {
        return ModelWeights.load(config, this, TensorNaming.HUGGING_FACE);
    }

    private enum Kind { EMBEDDING, MATRIX, NORM, BIAS }

    private void add(String name, long seed, int rows, int cols, Kind kind) {
        long count = (long) rows * cols;
        boolean bf16 = matrixType == GgmlType.BF16 && (kind == Kind.MATRIX || kind == Kind.EMBEDDING);
        MemorySegment seg = arena.allocate(count * (bf16 ? 2 : 4), 64);
        long nameSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
        double bound = switch (kind) {
            case EMBEDDING -> Math.sqrt(3.0);   // unit-variance rows: the first RMSNorm sees a typical scale
            case MATRIX -> Math.sqrt(3.0 / cols);
            case NORM -> 0.1;
            case BIAS -> 0.1;
        };
        float offset = kind == Kind.NORM ? 1f : 0f;
        int chunk = 1 << 16;
        int chunks = (int) ((count + chunk - 1) / chunk);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long start = (long) c * chunk;
            long end = Math.min(count, start + chunk);
            long state = mix(nameSeed + c);
            for (long i = start; i < end; i++) {
                state += 0x9E3779B97F4A7C15L;
                double u = (mix(state) >>> 11) * 0x1.0p-53 * 2 - 1;
                float value = offset + (float) (u * bound);
                if (bf16) {
                    seg.set(U16, i * 2, Quantizer.toBFloat16(value));
                } else {
                    seg.set(F32, i * 4, value);
                }
            }
        });
        long[] shape = kind == Kind.NORM || kind == Kind.BIAS ? new long[] {cols} : new long[] {rows, cols};
        tensors.put(name, new WeightTensor(name, bf16 ? GgmlType.BF16 : GgmlType.F32, shape, seg.asReadOnly()));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public Optional<WeightTensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        arena.close();
    }
}
