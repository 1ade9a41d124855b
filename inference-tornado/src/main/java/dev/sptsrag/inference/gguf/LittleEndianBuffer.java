package dev.sptsrag.inference.gguf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A growable byte array written little-endian; holds a GGUF header while it is being encoded. */
final class LittleEndianBuffer {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] bytes = new byte[4096];
    private int size;

    int size() { return size; }

    private int reserve(int n) {
        if (n > bytes.length - size) {
            long wanted = Math.max((long) bytes.length * 2, (long) size + n);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("GGUF header larger than 2 GiB");
            }
            bytes = Arrays.copyOf(bytes, (int) wanted);
        }
        int at = size;
        size += n;
        return at;
    }

    // Each writer reserves first, then reads the field: reserve may replace the array.

    void u8(int v) {
        int at = reserve(1);
        bytes[at] = (byte) v;
    }

    void u16(int v) {
        int at = reserve(2);
        SHORT.set(bytes, at, (short) v);
    }

    void u32(int v) {
        int at = reserve(4);
        INT.set(bytes, at, v);
    }

    void u64(long v) {
        int at = reserve(8);
        LONG.set(bytes, at, v);
    }

    void f32(float v) {
        u32(Float.floatToRawIntBits(v));
    }

    void f64(double v) {
        u64(Double.doubleToRawLongBits(v));
    }

    void raw(byte[] b) {
        int at = reserve(b.length);
        System.arraycopy(b, 0, bytes, at, b.length);
    }

    /** A GGUF string: u64 byte count, then the UTF-8 bytes. */
    void string(byte[] utf8) {
        u64(utf8.length);
        raw(utf8);
    }

    ByteBuffer asByteBuffer() {
        return ByteBuffer.wrap(bytes, 0, size);
    }
}
