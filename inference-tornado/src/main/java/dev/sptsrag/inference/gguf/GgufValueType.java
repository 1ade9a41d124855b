package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;

/** Metadata value types of GGUF (ids as in the GGUF specification, {@code gguf_metadata_value_type}). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int fixedSize;

    GgufValueType(int id, int fixedSize) {
        this.id = id;
        this.fixedSize = fixedSize;
    }

    public int id() { return id; }

    /** Bytes of one value, or -1 for the variable-length types (string, array). */
    public int fixedSize() { return fixedSize; }

    public boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY;
    }

    public static GgufValueType fromId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new ModelFormatException("unknown GGUF metadata value type " + Integer.toUnsignedString(id));
        }
        return BY_ID[id];
    }
}
