package dev.sptsrag.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Encodes floats as ggml tensor bytes: F32, F16, BF16, and the simple block quantizations Q8_0 and
 * Q4_0 following ggml's reference quantizers (so a converted file matches what llama.cpp's
 * reference path would produce). The inverse is {@link Dequantizer}.
 */
public final class Quantizer {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantizer() {
    }

    /** Whether {@link #quantize} can produce {@code type}. */
    public static boolean canEncode(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code src[srcOffset .. srcOffset + count)} as {@code type} into {@code dst} from
     * {@code byteOffset} on, writing exactly {@code type.byteSize(count)} bytes.
     *
     * @throws IllegalArgumentException  when {@code type} has no encoder here, {@code count} is not a
     *                                   whole number of blocks, or a block-quantized input is not finite
     *                                   (or too large for its F16 scale)
     * @throws IndexOutOfBoundsException when the ranges fall outside {@code src} or {@code dst}
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, MemorySegment dst, long byteOffset,
                                int count) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (!canEncode(type)) {
            throw new IllegalArgumentException("no encoder for ggml type " + type);
        }
        if (count < 0 || count % type.blockSize() != 0) {
            throw new IllegalArgumentException("count " + count + " is not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        int blocks = count / type.blockSize();
        Objects.checkFromIndexSize(byteOffset, (long) blocks * type.typeSize(), dst.byteSize());

        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, F32, byteOffset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(U16, byteOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(U16, byteOffset + 2L * i, toBFloat16(src[srcOffset + i]));
                }
            }
            case Q8_0 -> q8_0(src, srcOffset, dst, byteOffset, blocks);
            case Q4_0 -> q4_0(src, srcOffset, dst, byteOffset, blocks);
            default -> throw new IllegalArgumentException("no encoder for ggml type " + type);
        }
    }

    /** bfloat16 with round-to-nearest-even; NaN stays NaN (quiet), infinities stay infinite. */
    public static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            // Truncating could clear every mantissa bit and turn NaN into infinity: force the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /**
     * Q8_0 as ggml's reference: per block of 32, d = max|x| / 127 stored as F16, q = round(x / d)
     * (half away from zero, as C's roundf), using 1/d of the unrounded d like ggml does.
     */
    private static void q8_0(float[] x, int from, MemorySegment dst, long at, int blocks) {
        for (int b = 0; b < blocks; b++, from += 32, at += 34) {
            float amax = maxAbs(x, from, 32);
            float d = amax / 127;
            short dHalf = scaleAsHalf(d, x, from);
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(U16, at, dHalf);
            for (int j = 0; j < 32; j++) {
                int q = roundHalfAway(x[from + j] * id);
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) Math.clamp(q, -127, 127));
            }
        }
    }

    /**
     * Q4_0 as ggml's reference: the value of largest magnitude m maps to q = 0, i.e. d = m / -8;
     * q = min(15, trunc(x / d + 8.5)); value j and j + 16 share byte j (low and high nibble).
     */
    private static void q4_0(float[] x, int from, MemorySegment dst, long at, int blocks) {
        for (int b = 0; b < blocks; b++, from += 32, at += 18) {
            requireFinite(x, from, 32);
            float extreme = 0;
            for (int j = 0; j < 32; j++) {
                if (Math.abs(x[from + j]) > Math.abs(extreme)) {
                    extreme = x[from + j];
                }
            }
            float d = extreme / -8;
            short dHalf = scaleAsHalf(d, x, from);
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(U16, at, dHalf);
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (int) (x[from + j] * id + 8.5f));
                int hi = Math.min(15, (int) (x[from + 16 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
            }
        }
    }

    private static float maxAbs(float[] x, int from, int n) {
        requireFinite(x, from, n);
        float amax = 0;
        for (int j = 0; j < n; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        return amax;
    }

    /** A NaN or infinity would poison the whole block's scale. */
    private static void requireFinite(float[] x, int from, int n) {
        for (int j = 0; j < n; j++) {
            if (!Float.isFinite(x[from + j])) {
                throw new IllegalArgumentException("cannot block-quantize non-finite value " + x[from + j]
                        + " at index " + (from + j));
            }
        }
    }

    private static short scaleAsHalf(float d, float[] x, int from) {
        short h = Float.floatToFloat16(d);
        if (Float.isInfinite(Float.float16ToFloat(h))) {
            throw new IllegalArgumentException("block at index " + from + ": scale " + d + " overflows F16");
        }
        return h;
    }

    /** C's roundf: halves go away from zero (Math.round would send -2.5 to -2). */
    private static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
