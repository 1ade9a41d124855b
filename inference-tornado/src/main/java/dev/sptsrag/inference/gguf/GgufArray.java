package dev.sptsrag.inference.gguf;

import java.util.List;

/**
 * A GGUF metadata array: its element type and its values, boxed as {@link GgufMetadata} describes
 * (nested arrays are {@code GgufArray}s themselves).
 */
public record GgufArray(GgufValueType elementType, List<Object> values) {
    public GgufArray {
        values = List.copyOf(values);
    }

    public int size() { return values.size(); }
}
