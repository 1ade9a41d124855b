package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

/** Test helper: small GGUF contents that exercise every metadata type and several tensor types. */
final class GgufSamples {
    private GgufSamples() {
    }

    static final List<String> TOKENS = List.of("<s>", "</s>", "héllo", "世界", "🙂", "", "Ġthe", "\u0000nul");

    /** One key of every scalar type (with boundary values), strings, flat and nested arrays. */
    static GgufWriter putEveryType(GgufWriter w) {
        return w.putString("general.architecture", "llama")
                .putString("general.name", "fuzz ✓ 模型 🙂")
                .putUint8("test.uint8", 255)
                .putInt8("test.int8", -128)
                .putUint16("test.uint16", 65535)
                .putInt16("test.int16", -32768)
                .putUint32("test.uint32", 0xFFFF_FFFFL)
                .putInt32("test.int32", Integer.MIN_VALUE)
                .putUint64("test.uint64", Long.MAX_VALUE)
                .putInt64("test.int64", Long.MIN_VALUE)
                .putFloat32("test.float32", -0.0f)
                .putFloat32("test.float32.nan", Float.intBitsToFloat(0x7FC0_1234))
                .putFloat64("test.float64", Math.PI)
                .putBool("test.bool.true", true)
                .putBool("test.bool.false", false)
                .putString("test.string.empty", "")
                .putStringArray("tokenizer.ggml.tokens", TOKENS)
                .putFloat32Array("tokenizer.ggml.scores", new float[] {0f, -1.5f, 2.25f, Float.MIN_VALUE, 1e30f, -0f, 3f, 4f})
                .putInt32Array("tokenizer.ggml.token_type", new int[] {3, 3, 1, 1, 1, 1, 1, 6})
                .putArray("test.array.empty", new GgufArray(GgufValueType.INT32, List.of()))
                .putArray("test.array.uint8", new GgufArray(GgufValueType.UINT8, List.of(0, 1, 127, 128, 255)))
                .putArray("test.array.bool", new GgufArray(GgufValueType.BOOL, List.of(true, false, true)))
                .putArray("test.array.uint64", new GgufArray(GgufValueType.UINT64, List.of(0L, Long.MAX_VALUE)))
                .putArray("test.array.float64", new GgufArray(GgufValueType.FLOAT64, List.of(1.0, -2.5e-300)))
                .putArray("test.array.nested", new GgufArray(GgufValueType.ARRAY, List.of(
                        new GgufArray(GgufValueType.UINT16, List.of(1, 2, 3)),
                        new GgufArray(GgufValueType.STRING, List.of("a", "ß", "")),
                        new GgufArray(GgufValueType.ARRAY, List.of(
                                new GgufArray(GgufValueType.INT8, List.of(-1, 0, 1)))))));
    }

    /** Deterministic floats in a plausible weight range. */
    static float[] floats(int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 0.5);
        }
        return x;
    }

    /**
     * {@code blocks} Q4_K blocks of random quants and scales with sane F16 super-scales, so they
     * dequantize to finite values.
     */
    static MemorySegment randomQ4K(int blocks, long seed) {
        Random random = new Random(seed);
        byte[] bytes = new byte[blocks * GgmlType.Q4_K.typeSize()];
        random.nextBytes(bytes);
        MemorySegment s = MemorySegment.ofArray(bytes);
        for (int b = 0; b < blocks; b++) {
            long at = (long) b * GgmlType.Q4_K.typeSize();
            s.set(GgufCursor.U16, at, Float.floatToFloat16(0.01f + random.nextFloat() * 0.01f));
            s.set(GgufCursor.U16, at + 2, Float.floatToFloat16(random.nextFloat() * 0.01f));
        }
        return s;
    }

    /** A small model-like file: every metadata type, tensors of F32, F16, BF16, Q8_0, Q4_0 and Q4_K. */
    static GgufWriter model(long alignment) {
        GgufWriter w = new GgufWriter().alignment(alignment);
        putEveryType(w);
        w.addTensor("token_embd.weight", GgmlType.F32, new long[] {4, 8}, floats(32, 1));
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {8}, floats(8, 2));
        w.addTensor("blk.0.attn_q.weight", GgmlType.F16, new long[] {2, 32}, floats(64, 3));
        w.addTensor("blk.0.attn_k.weight", GgmlType.BF16, new long[] {2, 3, 16}, floats(96, 4));
        w.addTensor("blk.0.ffn_up.weight", GgmlType.Q8_0, new long[] {2, 64}, floats(128, 5));
        w.addTensor("blk.0.ffn_gate.weight", GgmlType.Q4_0, new long[] {1, 32}, floats(32, 6));
        w.addTensor("blk.0.ffn_down.weight", GgmlType.Q4_K, new long[] {2, 256}, randomQ4K(2, 7));
        return w;
    }
}
