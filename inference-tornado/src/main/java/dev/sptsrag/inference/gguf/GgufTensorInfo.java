package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.tensor.GgmlType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a GGUF file's tensor-info table.
 *
 * @param name           the tensor's name
 * @param type           its element type
 * @param ne             its dimensions in ggml order: innermost (contiguous) first
 * @param relativeOffset where its bytes start, relative to the file's data section
 * @param byteSize       how many bytes it takes
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long relativeOffset, long byteSize) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int rank() { return ne.length; }

    /** The dimensions outermost first (PyTorch order): {@code ne} reversed. */
    public long[] shape() {
        long[] shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            shape[i] = ne[ne.length - 1 - i];
        }
        return shape;
    }

    public long elementCount() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(ne, t.ne)
                && relativeOffset == t.relativeOffset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(ne), relativeOffset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(ne) + " @" + relativeOffset + " (" + byteSize + " bytes)";
    }
}
