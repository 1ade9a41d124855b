package dev.sptsrag.inference.tensor;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;

/**
 * Tensor element types of ggml, with their block layout: {@code blockSize} elements are stored in
 * {@code typeSize} bytes. Ids and layouts are those of ggml's {@code ggml_type} (ggml.h); only the
 * types this engine can read or write are listed, plus the plain integer types for validation.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 2 + 16, true),
    Q4_1(3, 32, 2 + 2 + 16, true),
    Q5_0(6, 32, 2 + 4 + 16, true),
    Q5_1(7, 32, 2 + 2 + 4 + 16, true),
    Q8_0(8, 32, 2 + 32, true),
    Q2_K(10, 256, 256 / 16 + 256 / 4 + 2 + 2, false),
    Q3_K(11, 256, 256 / 8 + 256 / 4 + 12 + 2, false),
    Q4_K(12, 256, 2 + 2 + 12 + 256 / 2, true),
    Q5_K(13, 256, 2 + 2 + 12 + 256 / 8 + 256 / 2, true),
    Q6_K(14, 256, 256 / 2 + 256 / 4 + 256 / 16 + 2, true),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    BF16(30, 1, 2, true);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean dequantizable;

    GgmlType(int id, int blockSize, int typeSize, boolean dequantizable) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dequantizable = dequantizable;
    }

    /** ggml's numeric id, as stored in GGUF tensor infos. */
    public int id() { return id; }

    /** Elements per block. */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int typeSize() { return typeSize; }

    /** Whether the engine can turn this type into floats. */
    public boolean isDequantizable() { return dequantizable; }

    public boolean isQuantized() { return blockSize > 1; }

    /**
     * Bytes taken by {@code elements} values of this type. The element count must be a whole
     * number of blocks.
     *
     * @throws ModelFormatException when it is not, or when the byte count overflows a long
     */
    public long byteSize(long elements) {
        if (elements < 0) {
            throw new ModelFormatException("negative element count " + elements);
        }
        if (elements % blockSize != 0) {
            throw new ModelFormatException(elements + " elements are not a whole number of " + name()
                    + " blocks of " + blockSize);
        }
        try {
            return Math.multiplyExact(elements / blockSize, (long) typeSize);
        } catch (ArithmeticException e) {
            throw new ModelFormatException("byte size of " + elements + " " + name() + " elements overflows");
        }
    }

    /**
     * The type with ggml id {@code id}.
     *
     * @throws ModelFormatException for an id ggml never defined (or one it retired)
     * @throws UnsupportedModelException for a ggml type this engine does not handle
     */
    public static GgmlType fromId(int id) {
        if (id >= 0 && id < BY_ID.length && BY_ID[id] != null) {
            return BY_ID[id];
        }
        // Ids ggml defines that we do not read: the i-quants, ternary and fp4 types.
        if (id == 9 || id == 15 || (id >= 16 && id <= 23) || id == 29 || id == 34 || id == 35 || id == 39) {
            throw new UnsupportedModelException("ggml tensor type id " + id
                    + " is not supported; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K");
        }
        throw new ModelFormatException("unknown ggml tensor type id " + id);
    }
}
