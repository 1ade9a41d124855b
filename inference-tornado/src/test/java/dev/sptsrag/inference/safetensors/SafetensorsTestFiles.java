package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds raw safetensors bytes (any header, even a broken one) and decodes tensor values. */
final class SafetensorsTestFiles {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsTestFiles() {
    }

    /** Length field (the header's true length), header, data. */
    static byte[] raw(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    static byte[] raw(String header, byte[] data) {
        return raw(header.getBytes(StandardCharsets.UTF_8), data);
    }

    static byte[] f32Bytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    static byte[] f16Bytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Float.floatToFloat16(v));
        }
        return b.array();
    }

    /** bfloat16 by truncation: the test values are chosen to be exact in bf16. */
    static byte[] bf16Bytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return b.array();
    }

    /** All values of an F32, F16 or BF16 tensor as floats. */
    static float[] floats(WeightTensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (t.type()) {
                case F32 -> t.data().getAtIndex(F32, i);
                case F16 -> Float.float16ToFloat(t.data().getAtIndex(U16, i));
                case BF16 -> Float.intBitsToFloat(t.data().getAtIndex(U16, i) << 16);
                default -> throw new AssertionError("unexpected type " + t.type());
            };
        }
        return out;
    }
}
