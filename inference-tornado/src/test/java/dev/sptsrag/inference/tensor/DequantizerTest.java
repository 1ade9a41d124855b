package dev.sptsrag.inference.tensor;

import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each block below is packed by hand from chosen scales and quants, following the layout as ggml
 * documents it, element by element (not by the loop structure {@link Dequantizer} uses); the
 * expected floats come from the documented formula.
 */
class DequantizerTest {
    private static final Random RANDOM = new Random(20_250_601L);

    // ---- byte packing helpers (little-endian) ----

    private static void putHalf(byte[] b, int at, float v) {
        short h = Float.floatToFloat16(v);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    private static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private static float[] dequant(GgmlType type, byte[] bytes, int count) {
        float[] out = new float[count + 3];
        Arrays.fill(out, 12345f);
        Dequantizer.dequantize(type, MemorySegment.ofArray(bytes), 0, out, 2, count);
        assertEquals(12345f, out[0]);
        assertEquals(12345f, out[1]);
        assertEquals(12345f, out[count + 2], "writes nothing past the requested count");
        return Arrays.copyOfRange(out, 2, count + 2);
    }

    // ---- plain float types ----

    @Test
    void f16FromHandWrittenBitPatterns() {
        short[] bits = {0x3C00, (short) 0xC100, 0x7BFF, 0x0001, 0x0400, 0x7C00, (short) 0xFC00, (short) 0x8000, 0x3555};
        float[] expected = {1f, -2.5f, 65504f, 0x1p-24f, 0x1p-14f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                -0f, 0.333251953125f};
        byte[] bytes = new byte[bits.length * 2];
        for (int i = 0; i < bits.length; i++) {
            bytes[2 * i] = (byte) bits[i];
            bytes[2 * i + 1] = (byte) (bits[i] >> 8);
        }
        assertArrayEquals(expected, dequant(GgmlType.F16, bytes, bits.length));

        byte[] nan = {0x00, 0x7E};
        assertTrue(Float.isNaN(dequant(GgmlType.F16, nan, 1)[0]));
    }

    @Test
    void bf16FromHandWrittenBitPatterns() {
        short[] bits = {0x3F80, (short) 0xC020, 0x7F80, 0x0001, (short) 0x8000, 0x4049, 0x7F7F};
        float[] expected = {1f, -2.5f, Float.POSITIVE_INFINITY, 0x1p-133f, -0f, 3.140625f,
                Float.intBitsToFloat(0x7F7F0000)};
        byte[] bytes = new byte[bits.length * 2];
        for (int i = 0; i < bits.length; i++) {
            bytes[2 * i] = (byte) bits[i];
            bytes[2 * i + 1] = (byte) (bits[i] >> 8);
        }
        assertArrayEquals(expected, dequant(GgmlType.BF16, bytes, bits.length));
        assertTrue(Float.isNaN(dequant(GgmlType.BF16, new byte[] {(byte) 0xC1, 0x7F}, 1)[0]));
    }

    @Test
    void f32IsLittleEndian() {
        byte[] bytes = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0x20, (byte) 0xC0};
        assertArrayEquals(new float[] {1f, -2.5f}, dequant(GgmlType.F32, bytes, 2));
    }

    // ---- 32-value blocks ----

    @Test
    void q8_0() {
        float d = 0.0371f;
        int[] q = new int[32];
        for (int i = 0; i < 32; i++) {
            q[i] = i == 0 ? -128 : i == 1 ? 127 : i == 2 ? 0 : RANDOM.nextInt(256) - 128;
        }
        byte[] b = new byte[34];
        putHalf(b, 0, d);
        for (int i = 0; i < 32; i++) {
            b[2 + i] = (byte) q[i];
        }
        float[] y = dequant(GgmlType.Q8_0, b, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals(q[i] * half(d), y[i], "element " + i);
        }
    }

    /** Values i and i + 16 share byte i: i in the low nibble, i + 16 in the high nibble. */
    private static void packNibbles(byte[] b, int at, int[] q) {
        for (int i = 0; i < 32; i++) {
            int shift = i < 16 ? 0 : 4;
            b[at + (i % 16)] |= (byte) ((q[i] & 0xF) << shift);
        }
    }

    /** Fifth bits: bit i of a little-endian u32 is bit 4 of value i. */
    private static void packFifthBits(byte[] b, int at, int[] q) {
        for (int i = 0; i < 32; i++) {
            if ((q[i] & 0x10) != 0) {
                b[at + i / 8] |= (byte) (1 << (i % 8));
            }
        }
    }

    private static int[] quants(int max) {
        int[] q = new int[32];
        for (int i = 0; i < 32; i++) {
            q[i] = i == 0 ? 0 : i == 31 ? max : i == 15 ? max : i == 16 ? 0 : RANDOM.nextInt(max + 1);
        }
        return q;
    }

    @Test
    void q4_0() {
        float d = -0.0625f;
        int[] q = quants(15);
        byte[] b = new byte[18];
        putHalf(b, 0, d);
        packNibbles(b, 2, q);
        float[] y = dequant(GgmlType.Q4_0, b, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals((q[i] - 8) * half(d), y[i], "element " + i);
        }
    }

    @Test
    void q4_1() {
        float d = 0.0421f;
        float m = -0.3f;
        int[] q = quants(15);
        byte[] b = new byte[20];
        putHalf(b, 0, d);
        putHalf(b, 2, m);
        packNibbles(b, 4, q);
        float[] y = dequant(GgmlType.Q4_1, b, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals(q[i] * half(d) + half(m), y[i], "element " + i);
        }
    }

    @Test
    void q5_0() {
        for (int trial = 0; trial < 20; trial++) {
            float d = 0.01f + trial * 0.003f;
            int[] q = quants(31);
            byte[] b = new byte[22];
            putHalf(b, 0, d);
            packFifthBits(b, 2, q);
            packNibbles(b, 6, q);
            float[] y = dequant(GgmlType.Q5_0, b, 32);
            for (int i = 0; i < 32; i++) {
                assertEquals((q[i] - 16) * half(d), y[i], "trial " + trial + " element " + i);
            }
        }
    }

    @Test
    void q5_1() {
        for (int trial = 0; trial < 20; trial++) {
            float d = 0.02f + trial * 0.001f;
            float m = -0.5f + trial * 0.05f;
            int[] q = quants(31);
            byte[] b = new byte[24];
            putHalf(b, 0, d);
            putHalf(b, 2, m);
            packFifthBits(b, 4, q);
            packNibbles(b, 8, q);
            float[] y = dequant(GgmlType.Q5_1, b, 32);
            for (int i = 0; i < 32; i++) {
                assertEquals(q[i] * half(d) + half(m), y[i], "trial " + trial + " element " + i);
            }
        }
    }

    // ---- K-quants (256-value super-blocks) ----

    /**
     * The 12-byte table of eight 6-bit scales and mins: sub-blocks 0..3 keep all 6 bits in the low
     * bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 keep their low 4 bits in bytes
     * 8..11 (scale low nibble, min high nibble) and their top 2 bits in the top 2 bits of bytes
     * 0..3 (scales) and 4..7 (mins).
     */
    private static void packScaleTable(byte[] b, int at, int[] scale, int[] min) {
        for (int j = 0; j < 4; j++) {
            b[at + j] = (byte) ((scale[j] & 0x3F) | ((scale[j + 4] >> 4) << 6));
            b[at + 4 + j] = (byte) ((min[j] & 0x3F) | ((min[j + 4] >> 4) << 6));
            b[at + 8 + j] = (byte) ((scale[j + 4] & 0xF) | ((min[j + 4] & 0xF) << 4));
        }
    }

    /** Per sub-block scales/mins: fixed edge cases (0, 63, every top-2-bit pattern) or random. */
    private static int[][] scalesAndMins(int trial) {
        if (trial == 0) {
            return new int[][] {{0, 63, 1, 62, 63, 0, 47, 31}, {63, 0, 5, 40, 16, 63, 33, 0}};
        }
        if (trial == 1) {
            return new int[][] {{63, 63, 63, 63, 63, 63, 63, 63}, {63, 63, 63, 63, 63, 63, 63, 63}};
        }
        int[] scale = new int[8];
        int[] min = new int[8];
        for (int j = 0; j < 8; j++) {
            scale[j] = RANDOM.nextInt(64);
            min[j] = RANDOM.nextInt(64);
        }
        return new int[][] {scale, min};
    }

    /** Quants for 256 values: each sub-block starts at 0 and ends at max, random in between. */
    private static int[] superBlockQuants(int max, int trial) {
        int[] q = new int[256];
        for (int e = 0; e < 256; e++) {
            int inSub = e % 32;
            q[e] = trial == 1 ? max : inSub == 0 ? 0 : inSub == 31 ? max : inSub == 1 ? max : RANDOM.nextInt(max + 1);
        }
        return q;
    }

    @Test
    void q4K() {
        for (int trial = 0; trial < 40; trial++) {
            float d = trial == 0 ? 0.5f : 0.001f + RANDOM.nextFloat() * 0.05f;
            float dmin = trial == 0 ? 0.25f : RANDOM.nextFloat() * 0.02f;
            int[][] sm = scalesAndMins(trial);
            int[] q = superBlockQuants(15, trial);
            byte[] b = new byte[144];
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            packScaleTable(b, 4, sm[0], sm[1]);
            // Value e: sub-block j = e / 32; group e / 64 owns bytes 16 + 32 (e / 64) .. +31;
            // even sub-blocks use the low nibble, odd ones the high nibble.
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                int at = 16 + 32 * (e / 64) + e % 32;
                b[at] |= (byte) (q[e] << (j % 2 == 0 ? 0 : 4));
            }
            float[] y = dequant(GgmlType.Q4_K, b, 256);
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                float expected = half(d) * sm[0][j] * q[e] - half(dmin) * sm[1][j];
                assertEquals(expected, y[e], Math.abs(expected) * 1e-6f + 1e-7f,
                        "trial " + trial + " value " + e + " (sub-block " + j + ")");
            }
        }
    }

    @Test
    void q5K() {
        for (int trial = 0; trial < 40; trial++) {
            float d = trial == 0 ? 0.5f : 0.001f + RANDOM.nextFloat() * 0.05f;
            float dmin = trial == 0 ? 0.125f : RANDOM.nextFloat() * 0.02f;
            int[][] sm = scalesAndMins(trial);
            int[] q = superBlockQuants(31, trial);
            byte[] b = new byte[176];
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            packScaleTable(b, 4, sm[0], sm[1]);
            // qh at 16 (32 bytes): bit j of byte e % 32 is bit 4 of value e of sub-block j.
            // Low 4 bits at 48, laid out as in Q4_K.
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                if ((q[e] & 0x10) != 0) {
                    b[16 + e % 32] |= (byte) (1 << j);
                }
                b[48 + 32 * (e / 64) + e % 32] |= (byte) ((q[e] & 0xF) << (j % 2 == 0 ? 0 : 4));
            }
            float[] y = dequant(GgmlType.Q5_K, b, 256);
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                float expected = half(d) * sm[0][j] * q[e] - half(dmin) * sm[1][j];
                assertEquals(expected, y[e], Math.abs(expected) * 1e-6f + 1e-7f,
                        "trial " + trial + " value " + e + " (sub-block " + j + ")");
            }
        }
    }

    @Test
    void q6K() {
        for (int trial = 0; trial < 40; trial++) {
            float d = trial == 0 ? 0.25f : 0.0005f + RANDOM.nextFloat() * 0.01f;
            int[] scale = new int[16];
            for (int s = 0; s < 16; s++) {
                scale[s] = trial == 0 ? (s % 2 == 0 ? -128 + s : 127 - s) : RANDOM.nextInt(256) - 128;
            }
            int[] q = new int[256];
            for (int e = 0; e < 256; e++) {
                q[e] = trial == 1 ? 63 : e % 16 == 0 ? 0 : e % 16 == 15 ? 63 : RANDOM.nextInt(64);
            }
            byte[] b = new byte[210];
            // Value e: half h = e / 128; within it k = (e % 128) / 32 and l = e % 32.
            // Low 4 bits: byte 64h + 32 (k % 2) + l, low nibble for k < 2, high nibble for k >= 2.
            // High 2 bits: byte 128 + 32h + l, bits 2k and 2k+1. Scale: int8 at 192 + e / 16. d at 208.
            for (int e = 0; e < 256; e++) {
                int h = e / 128;
                int k = (e % 128) / 32;
                int l = e % 32;
                b[64 * h + 32 * (k % 2) + l] |= (byte) ((q[e] & 0xF) << (k < 2 ? 0 : 4));
                b[128 + 32 * h + l] |= (byte) ((q[e] >> 4) << (2 * k));
            }
            for (int s = 0; s < 16; s++) {
                b[192 + s] = (byte) scale[s];
            }
            putHalf(b, 208, d);
            float[] y = dequant(GgmlType.Q6_K, b, 256);
            for (int e = 0; e < 256; e++) {
                float expected = half(d) * scale[e / 16] * (q[e] - 32);
                assertEquals(expected, y[e], Math.abs(expected) * 1e-6f + 1e-7f,
                        "trial " + trial + " value " + e + " (scale " + e / 16 + ")");
            }
        }
    }

    // ---- multiple blocks, offsets, rows ----

    @Test
    void readsFromAByteOffsetAcrossSeveralBlocks() {
        byte[] b = new byte[5 + 3 * 34];
        int[] q = new int[96];
        for (int blk = 0; blk < 3; blk++) {
            putHalf(b, 5 + 34 * blk, blk + 1f);
            for (int i = 0; i < 32; i++) {
                q[32 * blk + i] = i - blk;
                b[5 + 34 * blk + 2 + i] = (byte) (i - blk);
            }
        }
        float[] y = new float[96];
        Dequantizer.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(b), 5, y, 0, 96);
        for (int i = 0; i < 96; i++) {
            assertEquals(q[i] * (i / 32 + 1f), y[i], "element " + i);
        }
    }

    @Test
    void dequantizeRowPicksTheRowOfTheInnermostDimension() {
        // [3, 64] Q8_0: 3 rows of 2 blocks; block k of row r has d = r + 1 and q = k.
        byte[] b = new byte[3 * 2 * 34];
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 2; k++) {
                int at = (r * 2 + k) * 34;
                putHalf(b, at, r + 1f);
                Arrays.fill(b, at + 2, at + 34, (byte) k);
            }
        }
        WeightTensor t = new WeightTensor("w", GgmlType.Q8_0, new long[] {3, 64}, MemorySegment.ofArray(b));
        float[] row = new float[65];
        Dequantizer.dequantizeRow(t, 2, row, 1);
        for (int i = 0; i < 64; i++) {
            assertEquals(3f * (i / 32), row[i + 1], "column " + i);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantizeRow(t, 3, row, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantizeRow(t, -1, row, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantizeRow(t, 0, row, 2));
    }

    @Test
    void rejectsProgrammerErrorsWithoutReadingOutside() {
        MemorySegment block = MemorySegment.ofArray(new byte[34]);
        float[] y = new float[64];
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, 0, y, 0, 31));
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, 0, y, 0, -32));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, 0, y, 0, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, 1, y, 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, -1, y, 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, block, 0, y, 40, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(GgmlType.F32, block, 0, y, 0, 9));
        assertThrows(UnsupportedModelException.class, () -> Dequantizer.dequantize(GgmlType.Q2_K, block, 0, y, 0, 256));
        assertThrows(UnsupportedModelException.class, () -> Dequantizer.dequantize(GgmlType.I32, block, 0, y, 0, 1));
        Dequantizer.dequantize(GgmlType.Q8_0, block, 0, y, 0, 0);
    }
}
