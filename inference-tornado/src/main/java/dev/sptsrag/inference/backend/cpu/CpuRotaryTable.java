package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.RotaryEmbedding;
import dev.sptsrag.inference.backend.RotaryTable;

/** Rotary frequencies with the pair indices precomputed. */
record CpuRotaryTable(RotaryEmbedding rotary, float[] inverseFrequencies, int[] first, int[] second)
        implements RotaryTable {
    static CpuRotaryTable of(RotaryEmbedding rotary) {
        int pairs = rotary.headDim() / 2;
        int[] a = new int[pairs];
        int[] b = new int[pairs];
        for (int i = 0; i < pairs; i++) {
            a[i] = rotary.first(i);
            b[i] = rotary.second(i);
        }
        return new CpuRotaryTable(rotary, rotary.inverseFrequencies(), a, b);
    }
}
