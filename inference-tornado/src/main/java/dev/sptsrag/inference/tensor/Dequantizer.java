package dev.sptsrag.inference.tensor;

import dev.sptsrag.inference.UnsupportedModelException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Turns ggml-encoded tensor bytes into floats. Block layouts and formulas are ggml's (see
 * {@link GgmlType}); each method below states the layout it reads. Float operations are done in the
 * same order as ggml's reference dequantizers, so results match them bit for bit.
 *
 * <p>Every call is bounds-checked up front against both the source segment and the destination
 * array, then reads only inside that range. Nothing is allocated per call.
 */
public final class Dequantizer {
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements per K-quant super-block. */
    private static final int QK_K = 256;

    private Dequantizer() {
    }

    /**
     * Decodes {@code count} values of {@code type} starting at {@code byteOffset} in {@code src} into
     * {@code dst[dstOffset .. dstOffset + count)}.
     *
     * @param count a multiple of {@code type.blockSize()}; {@code byteOffset} must then be the start
     *              of a block
     * @throws UnsupportedModelException  when {@code type} cannot be dequantized
     * @throws IllegalArgumentException   when {@code count} is negative or not a whole number of blocks
     * @throws IndexOutOfBoundsException  when the source bytes or destination range fall outside
     *                                    {@code src} or {@code dst}
     */
    public static void dequantize(GgmlType type, MemorySegment src, long byteOffset, float[] dst, int dstOffset,
                                  int count) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (!type.isDequantizable()) {
            throw new UnsupportedModelException("cannot dequantize ggml type " + type);
        }
        if (count < 0 || count % type.blockSize() != 0) {
            throw new IllegalArgumentException("count " + count + " is not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        int blocks = count / type.blockSize();
        long bytes = (long) blocks * type.typeSize();
        Objects.checkFromIndexSize(byteOffset, bytes, src.byteSize());

        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, byteOffset, dst, dstOffset, count);
            case F16 -> f16(src, byteOffset, dst, dstOffset, count);
            case BF16 -> bf16(src, byteOffset, dst, dstOffset, count);
            case Q8_0 -> q8_0(src, byteOffset, dst, dstOffset, blocks);
            case Q4_0 -> q4_0(src, byteOffset, dst, dstOffset, blocks);
            case Q4_1 -> q4_1(src, byteOffset, dst, dstOffset, blocks);
            case Q5_0 -> q5_0(src, byteOffset, dst, dstOffset, blocks);
            case Q5_1 -> q5_1(src, byteOffset, dst, dstOffset, blocks);
            case Q4_K -> q4K(src, byteOffset, dst, dstOffset, blocks);
            case Q5_K -> q5K(src, byteOffset, dst, dstOffset, blocks);
            case Q6_K -> q6K(src, byteOffset, dst, dstOffset, blocks);
            default -> throw new UnsupportedModelException("cannot dequantize ggml type " + type);
        }
    }

    /**
     * Decodes row {@code row} of {@code t} into {@code dst[dstOff ..]}. A row is the innermost
     * dimension ({@code t.dim(t.rank() - 1)} values); all outer dimensions together number the rows,
     * so for a 2-D {@code [out, in]} weight, row {@code r} is output feature {@code r}.
     *
     * @throws IndexOutOfBoundsException when {@code row} or the destination range is out of range
     */
    public static void dequantizeRow(WeightTensor t, long row, float[] dst, int dstOff) {
        long cols = t.dim(t.rank() - 1);
        long rows = t.elementCount() / cols;
        Objects.checkIndex(row, rows);
        if (cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(t.name() + ": row of " + cols + " values does not fit a float[]");
        }
        long rowBytes = t.type().byteSize(cols);
        dequantize(t.type(), t.data(), row * rowBytes, dst, dstOff, (int) cols);
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(U16, at));
    }

    private static int u8(MemorySegment s, long at) {
        return Byte.toUnsignedInt(s.get(I8, at));
    }

    private static void f16(MemorySegment s, long at, float[] y, int o, int n) {
        for (int i = 0; i < n; i++) {
            y[o + i] = Float.float16ToFloat(s.get(U16, at + 2L * i));
        }
    }

    /** bfloat16 is the top half of a float32. */
    private static void bf16(MemorySegment s, long at, float[] y, int o, int n) {
        for (int i = 0; i < n; i++) {
            y[o + i] = Float.intBitsToFloat(s.get(U16, at + 2L * i) << 16);
        }
    }

    /** Q8_0 (34 bytes / 32 values): f16 d, 32 x int8 q; x = q * d. */
    private static void q8_0(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 34, o += 32) {
            float d = half(s, at);
            for (int j = 0; j < 32; j++) {
                y[o + j] = s.get(I8, at + 2 + j) * d;
            }
        }
    }

    /** Q4_0 (18 / 32): f16 d, 16 bytes; byte j holds q[j] (low nibble) and q[j+16] (high); x = (q - 8) * d. */
    private static void q4_0(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 18, o += 32) {
            float d = half(s, at);
            for (int j = 0; j < 16; j++) {
                int packed = u8(s, at + 2 + j);
                y[o + j] = ((packed & 0xF) - 8) * d;
                y[o + j + 16] = ((packed >>> 4) - 8) * d;
            }
        }
    }

    /** Q4_1 (20 / 32): f16 d, f16 m, nibbles as Q4_0; x = q * d + m. */
    private static void q4_1(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 20, o += 32) {
            float d = half(s, at);
            float m = half(s, at + 2);
            for (int j = 0; j < 16; j++) {
                int packed = u8(s, at + 4 + j);
                y[o + j] = (packed & 0xF) * d + m;
                y[o + j + 16] = (packed >>> 4) * d + m;
            }
        }
    }

    /**
     * Q5_0 (22 / 32): f16 d, u32 qh (bit i = fifth bit of q[i]), nibbles as Q4_0; x = (q - 16) * d.
     */
    private static void q5_0(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 22, o += 32) {
            float d = half(s, at);
            int qh = s.get(U32, at + 2);
            for (int j = 0; j < 16; j++) {
                int packed = u8(s, at + 6 + j);
                int lo = (packed & 0xF) | (((qh >>> j) & 1) << 4);
                int hi = (packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                y[o + j] = (lo - 16) * d;
                y[o + j + 16] = (hi - 16) * d;
            }
        }
    }

    /** Q5_1 (24 / 32): f16 d, f16 m, u32 qh, nibbles; x = q * d + m. */
    private static void q5_1(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 24, o += 32) {
            float d = half(s, at);
            float m = half(s, at + 2);
            int qh = s.get(U32, at + 4);
            for (int j = 0; j < 16; j++) {
                int packed = u8(s, at + 8 + j);
                int lo = (packed & 0xF) | (((qh >>> j) & 1) << 4);
                int hi = (packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                y[o + j] = lo * d + m;
                y[o + j + 16] = hi * d + m;
            }
        }
    }

    /*
     * Q4_K and Q5_K share a 12-byte table of eight 6-bit scales and eight 6-bit mins, one pair per
     * 32-value sub-block j:
     *   bytes 0..3   low 6 bits: scale[0..3]; top 2 bits: bits 4-5 of scale[4..7]
     *   bytes 4..7   low 6 bits: min[0..3];   top 2 bits: bits 4-5 of min[4..7]
     *   bytes 8..11  low nibble: bits 0-3 of scale[4..7]; high nibble: bits 0-3 of min[4..7]
     */

    private static int subScale(MemorySegment s, long table, int j) {
        if (j < 4) {
            return u8(s, table + j) & 0x3F;
        }
        return (u8(s, table + j + 4) & 0xF) | ((u8(s, table + j - 4) >>> 6) << 4);
    }

    private static int subMin(MemorySegment s, long table, int j) {
        if (j < 4) {
            return u8(s, table + j + 4) & 0x3F;
        }
        return (u8(s, table + j + 4) >>> 4) | ((u8(s, table + j) >>> 6) << 4);
    }

    /**
     * Q4_K (144 / 256): f16 d, f16 dmin, 12-byte scale table, 128 bytes of nibbles. Values go in
     * four groups of 64 sharing 32 bytes: the low nibbles are sub-block 2g, the high nibbles 2g+1.
     * x = (d * scale) * q - (dmin * min).
     */
    private static void q4K(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 144, o += QK_K) {
            float d = half(s, at);
            float dmin = half(s, at + 2);
            long table = at + 4;
            long qs = at + 16;
            for (int g = 0; g < 4; g++) {
                float dLo = d * subScale(s, table, 2 * g);
                float mLo = dmin * subMin(s, table, 2 * g);
                float dHi = d * subScale(s, table, 2 * g + 1);
                float mHi = dmin * subMin(s, table, 2 * g + 1);
                long bytes = qs + 32L * g;
                int out = o + 64 * g;
                for (int l = 0; l < 32; l++) {
                    int packed = u8(s, bytes + l);
                    y[out + l] = dLo * (packed & 0xF) - mLo;
                    y[out + 32 + l] = dHi * (packed >>> 4) - mHi;
                }
            }
        }
    }

    /**
     * Q5_K (176 / 256): f16 d, f16 dmin, 12-byte scale table, 32 bytes qh, 128 bytes of nibbles
     * laid out as Q4_K. Bit j of qh[l] is the fifth bit of value l of sub-block j.
     */
    private static void q5K(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 176, o += QK_K) {
            float d = half(s, at);
            float dmin = half(s, at + 2);
            long table = at + 4;
            long qh = at + 16;
            long qs = at + 48;
            for (int g = 0; g < 4; g++) {
                int jLo = 2 * g;
                int jHi = 2 * g + 1;
                float dLo = d * subScale(s, table, jLo);
                float mLo = dmin * subMin(s, table, jLo);
                float dHi = d * subScale(s, table, jHi);
                float mHi = dmin * subMin(s, table, jHi);
                long bytes = qs + 32L * g;
                int out = o + 64 * g;
                for (int l = 0; l < 32; l++) {
                    int packed = u8(s, bytes + l);
                    int high = u8(s, qh + l);
                    y[out + l] = dLo * ((packed & 0xF) | (((high >>> jLo) & 1) << 4)) - mLo;
                    y[out + 32 + l] = dHi * ((packed >>> 4) | (((high >>> jHi) & 1) << 4)) - mHi;
                }
            }
        }
    }

    /**
     * Q6_K (210 / 256): 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales (one
     * per 16 values), f16 d last. Each half of 128 values uses 64 ql bytes and 32 qh bytes: value
     * 32k + l (k = 0..3, l = 0..31) takes ql[l + 32 (k & 1)] nibble k >> 1 and bits 2k..2k+1 of qh[l].
     * x = (d * scale) * (q - 32).
     */
    private static void q6K(MemorySegment s, long at, float[] y, int o, int blocks) {
        for (int b = 0; b < blocks; b++, at += 210, o += QK_K) {
            float d = half(s, at + 208);
            for (int h = 0; h < 2; h++) {
                long ql = at + 64L * h;
                long qh = at + 128 + 32L * h;
                long scales = at + 192 + 8L * h;
                int out = o + 128 * h;
                for (int half16 = 0; half16 < 2; half16++) {
                    float d0 = d * s.get(I8, scales + half16);
                    float d1 = d * s.get(I8, scales + half16 + 2);
                    float d2 = d * s.get(I8, scales + half16 + 4);
                    float d3 = d * s.get(I8, scales + half16 + 6);
                    for (int l = 16 * half16; l < 16 * half16 + 16; l++) {
                        int a = u8(s, ql + l);
                        int c = u8(s, ql + 32 + l);
                        int high = u8(s, qh + l);
                        y[out + l] = d0 * (((a & 0xF) | ((high & 3) << 4)) - 32);
                        y[out + 32 + l] = d1 * (((c & 0xF) | (((high >>> 2) & 3) << 4)) - 32);
                        y[out + 64 + l] = d2 * (((a >>> 4) | (((high >>> 4) & 3) << 4)) - 32);
                        y[out + 96 + l] = d3 * (((c >>> 4) | (((high >>> 6) & 3) << 4)) - 32);
                    }
                }
            }
        }
    }
}
