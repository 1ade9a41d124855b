package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.tensor.GgmlType;

/**
 * The element types a safetensors header may name, with their width in bits. Knowing the width of
 * every type, not only the ones the engine reads, lets the reader check a tensor's byte range
 * before deciding whether it can use it, so a well-formed file with a type we do not read is told
 * apart from a corrupt one.
 */
enum SafetensorsDtype {
    BOOL(8, null),
    U8(8, null),
    I8(8, null),
    F8_E5M2(8, null),
    F8_E4M3(8, null),
    F8_E8M0(8, null),
    F8_E4M3FNUZ(8, null),
    F8_E5M2FNUZ(8, null),
    F4(4, null),
    F6_E2M3(6, null),
    F6_E3M2(6, null),
    I16(16, null),
    U16(16, null),
    F16(16, GgmlType.F16),
    BF16(16, GgmlType.BF16),
    I32(32, null),
    U32(32, null),
    F32(32, GgmlType.F32),
    F64(64, null),
    I64(64, null),
    U64(64, null),
    C64(64, null);

    private final int bits;
    private final GgmlType engineType;

    SafetensorsDtype(int bits, GgmlType engineType) {
        this.bits = bits;
        this.engineType = engineType;
    }

    /** The engine's element type, or null when the engine does not read this type. */
    GgmlType engineType() { return engineType; }

    boolean isSupported() { return engineType != null; }

    /**
     * Bytes taken by {@code elements} values. Sub-byte types are packed, so the total bit count
     * must be a whole number of bytes.
     *
     * @throws ModelFormatException when it is not, or when the count overflows a long
     */
    long byteSize(long elements, String tensor) {
        long totalBits;
        try {
            totalBits = Math.multiplyExact(elements, (long) bits);
        } catch (ArithmeticException e) {
            throw new ModelFormatException("tensor \"" + tensor + "\": byte size of " + elements + " " + name()
                    + " elements overflows");
        }
        if (totalBits % 8 != 0) {
            throw new ModelFormatException("tensor \"" + tensor + "\": " + elements + " " + name()
                    + " elements do not fill a whole number of bytes");
        }
        return totalBits / 8;
    }

    /** The dtype spelled {@code name} in a header, or null for a name safetensors does not define. */
    static SafetensorsDtype byName(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** The safetensors spelling of an engine type the writer can store. */
    static SafetensorsDtype of(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> throw new IllegalArgumentException("safetensors stores F32, F16 and BF16 tensors, not " + type);
        };
    }
}
