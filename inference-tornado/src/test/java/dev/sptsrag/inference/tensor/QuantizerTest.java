package dev.sptsrag.inference.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizerTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final Random RANDOM = new Random(0x51_7A_2025L);

    private static MemorySegment encode(GgmlType type, float[] x) {
        MemorySegment dst = Arena.ofAuto().allocate(type.byteSize(x.length));
        Quantizer.quantize(type, x, 0, dst, 0, x.length);
        return dst;
    }

    private static float[] roundTrip(GgmlType type, float[] x) {
        float[] y = new float[x.length];
        Dequantizer.dequantize(type, encode(type, x), 0, y, 0, x.length);
        return y;
    }

    @Test
    void f32IsExact() {
        float[] x = {1f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 0.1f};
        float[] y = roundTrip(GgmlType.F32, x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]));
        }
    }

    @Test
    void f16IsExactOnEveryRepresentableValue() {
        float[] x = new float[1 << 16];
        int n = 0;
        for (int bits = 0; bits < 1 << 16; bits++) {
            float v = Float.float16ToFloat((short) bits);
            if (!Float.isNaN(v)) {
                x[n++] = v;
            }
        }
        float[] values = java.util.Arrays.copyOf(x, n);
        float[] y = roundTrip(GgmlType.F16, values);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(y[i]), "value " + values[i]);
        }
    }

    @Test
    void f16RoundsToNearestEven() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
        float[] x = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 65520f, 1f + 0x1p-11f + 0x1p-20f};
        float[] y = roundTrip(GgmlType.F16, x);
        assertEquals(1f, y[0]);
        assertEquals(1f + 0x1p-9f, y[1]);
        assertEquals(Float.POSITIVE_INFINITY, y[2], "beyond the largest half rounds to infinity");
        assertEquals(1f + 0x1p-10f, y[3]);
    }

    @Test
    void bf16RoundsToNearestEvenWithinRelativeHalfUlp() {
        assertEquals(0x3F80, Quantizer.toBFloat16(Float.intBitsToFloat(0x3F80_8000)), "tie to even (down)");
        assertEquals(0x3F82, Quantizer.toBFloat16(Float.intBitsToFloat(0x3F81_8000)), "tie to even (up)");
        assertEquals(0x3F81, Quantizer.toBFloat16(Float.intBitsToFloat(0x3F80_8001)), "above the tie");
        assertEquals((short) 0xBF81, Quantizer.toBFloat16(Float.intBitsToFloat(0xBF80_8001)), "sign kept");
        assertEquals(0x7F80, Quantizer.toBFloat16(Float.MAX_VALUE), "overflow rounds to infinity");
        assertEquals((short) 0xFF80, Quantizer.toBFloat16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x8000, Quantizer.toBFloat16(-0f));

        for (int bits : new int[] {0x7F80_0001, 0x7FC0_0000, 0xFF80_0001, 0x7FFF_FFFF}) {
            float nan = Float.intBitsToFloat(bits);
            float back = Float.intBitsToFloat(Quantizer.toBFloat16(nan) << 16);
            assertTrue(Float.isNaN(back), "NaN " + Integer.toHexString(bits) + " stays NaN");
            assertEquals(bits < 0, Float.floatToRawIntBits(back) < 0, "NaN sign kept");
        }

        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (RANDOM.nextGaussian() * Math.pow(10, RANDOM.nextInt(20) - 10));
        }
        float[] y = roundTrip(GgmlType.BF16, x);
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(y[i] - x[i]) <= Math.abs(x[i]) * 0x1p-8, x[i] + " -> " + y[i]);
        }
    }

    @Test
    void q8_0MatchesTheReferenceRuleAndStaysWithinHalfAStep() {
        for (int block = 0; block < 500; block++) {
            float[] x = new float[32];
            double scale = Math.pow(10, RANDOM.nextInt(8) - 5);
            for (int i = 0; i < 32; i++) {
                x[i] = (float) (RANDOM.nextGaussian() * scale);
            }
            MemorySegment b = encode(GgmlType.Q8_0, x);
            float amax = 0;
            for (float v : x) {
                amax = Math.max(amax, Math.abs(v));
            }
            float d = amax / 127;
            float stored = Float.float16ToFloat(b.get(U16, 0));
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(d)), stored, "d = max|x| / 127 as F16");
            float[] y = new float[32];
            Dequantizer.dequantize(GgmlType.Q8_0, b, 0, y, 0, 32);
            for (int i = 0; i < 32; i++) {
                int q = b.get(ValueLayout.JAVA_BYTE, 2 + i);
                assertTrue(q >= -127 && q <= 127);
                // Quants: round to nearest on the grid of the unrounded d, as ggml does.
                assertTrue(Math.abs(x[i] - q * (double) d) <= d / 2 * (1 + 1e-6), "block " + block + " value " + i);
                // Values: that half step, plus what rounding d itself to F16 moves the grid point.
                double bound = d / 2 * (1 + 1e-6) + Math.abs(q) * Math.abs((double) d - stored);
                assertTrue(Math.abs(x[i] - y[i]) <= bound, "block " + block + " value " + i);
            }
        }
    }

    @Test
    void q8_0HandComputedBlock() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = i - 16; // max |x| = 16: d = 16/127, q = round(x * 127 / 16)
        }
        MemorySegment b = encode(GgmlType.Q8_0, x);
        assertEquals(Float.floatToFloat16(16f / 127), b.get(U16, 0));
        int[] expected = new int[32];
        for (int i = 0; i < 32; i++) {
            double exact = (i - 16) * 127.0 / 16;
            expected[i] = (int) Math.signum(exact) * (int) Math.floor(Math.abs(exact) + 0.5);
            assertEquals(expected[i], b.get(ValueLayout.JAVA_BYTE, 2 + i), "value " + i);
        }
        assertEquals(-127, expected[0]);
    }

    @Test
    void q8_0AndQ4_0OfZerosAreZero() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0}) {
            float[] y = roundTrip(type, new float[64]);
            for (float v : y) {
                assertTrue(v == 0f, type + ": " + v); // Q4_0's d = -0/8 gives -0.0, as in ggml
            }
        }
    }

    @Test
    void q4_0MapsTheExtremeExactlyAndStaysWithinOneStep() {
        for (int block = 0; block < 500; block++) {
            float[] x = new float[32];
            for (int i = 0; i < 32; i++) {
                x[i] = (float) RANDOM.nextGaussian();
            }
            MemorySegment b = encode(GgmlType.Q4_0, x);
            int extremeAt = 0;
            for (int i = 1; i < 32; i++) {
                if (Math.abs(x[i]) > Math.abs(x[extremeAt])) {
                    extremeAt = i;
                }
            }
            float d = x[extremeAt] / -8;
            float stored = Float.float16ToFloat(b.get(U16, 0));
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(d)), stored);
            float[] y = new float[32];
            Dequantizer.dequantize(GgmlType.Q4_0, b, 0, y, 0, 32);
            assertEquals(-8 * stored, y[extremeAt], "the extreme value is quant 0");
            for (int i = 0; i < 32; i++) {
                // The far side of the range is clamped at quant 15 (7 steps), so up to one step off.
                double bound = Math.abs(d) * (1 + 1e-6) + 8 * Math.abs((double) d - stored);
                assertTrue(Math.abs(x[i] - y[i]) <= bound, "block " + block + " value " + i + ": " + x[i] + " -> " + y[i]);
            }
        }
    }

    @Test
    void writesOnlyItsRangeAndChecksArguments() {
        MemorySegment dst = Arena.ofAuto().allocate(40);
        dst.fill((byte) 0x5A);
        float[] x = new float[40];
        x[3] = 1f;
        Quantizer.quantize(GgmlType.Q8_0, x, 3, dst, 3, 32);
        assertEquals(0x5A, dst.get(ValueLayout.JAVA_BYTE, 2));
        assertEquals(0x5A, dst.get(ValueLayout.JAVA_BYTE, 37));
        assertEquals(127, dst.get(ValueLayout.JAVA_BYTE, 5));

        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, x, 0, dst, 0, 31));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q4_K, x, 0, dst, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantizer.quantize(GgmlType.Q8_0, x, 9, dst, 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantizer.quantize(GgmlType.Q8_0, x, 0, dst, 7, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Quantizer.quantize(GgmlType.F32, x, 0, dst, 0, 11));
        float[] bad = new float[32];
        bad[7] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, bad, 0, dst, 0, 32));
        bad[7] = 1e10f; // d = 1e10 / 127 does not fit an F16
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, bad, 0, dst, 0, 32));
        assertFalse(Quantizer.canEncode(GgmlType.Q6_K));
        assertTrue(Quantizer.canEncode(GgmlType.BF16));
    }
}
