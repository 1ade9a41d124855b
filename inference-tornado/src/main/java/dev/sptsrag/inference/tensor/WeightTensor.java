package dev.sptsrag.inference.tensor;

import dev.sptsrag.inference.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One named tensor of a model file, as stored: its element type, its shape outermost first
 * (PyTorch order: a linear layer's weight is {@code [out, in]}), and a read-only view of its bytes.
 * The view has already been checked to lie inside the file and to hold exactly the shape's bytes.
 */
public record WeightTensor(String name, GgmlType type, long[] shape, MemorySegment data) {

    public WeightTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() { return shape.length; }

    /** Size of dimension {@code i}, outermost first. */
    public long dim(int i) { return shape[i]; }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightTensor t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
