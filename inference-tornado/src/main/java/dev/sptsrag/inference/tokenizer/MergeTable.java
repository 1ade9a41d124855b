package dev.sptsrag.inference.tokenizer;

import java.util.Arrays;

/**
 * BPE merge ranks keyed by the pair of token ids: an open-addressing hash from a packed
 * {@code (left, right)} long to the rank, so the merge loop does no boxing and no string work.
 * The rank's product token is kept alongside. Immutable after construction.
 */
final class MergeTable {
    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    private final int[] left;
    private final int[] right;
    private final int[] result;

    /** Merges in rank order: {@code left[r] + right[r] -> result[r]}. */
    MergeTable(int[] left, int[] right, int[] result) {
        this.left = left.clone();
        this.right = right.clone();
        this.result = result.clone();
        int capacity = Integer.highestOneBit(Math.max(4, left.length * 2 + 1)) << 1;
        keys = new long[capacity];
        ranks = new int[capacity];
        Arrays.fill(ranks, -1);
        mask = capacity - 1;
        for (int r = 0; r < left.length; r++) {
            long key = pack(left[r], right[r]);
            int slot = slot(key);
            while (ranks[slot] >= 0 && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            if (ranks[slot] < 0) { // a repeated pair keeps its first (best) rank
                keys[slot] = key;
                ranks[slot] = r;
            }
        }
    }

    int size() { return left.length; }

    int left(int rank) { return left[rank]; }

    int right(int rank) { return right[rank]; }

    int result(int rank) { return result[rank]; }

    /** The rank of merging {@code a} then {@code b}, or -1 when they do not merge. */
    int rank(int a, int b) {
        long key = pack(a, b);
        int slot = slot(key);
        while (true) {
            int r = ranks[slot];
            if (r < 0) {
                return -1;
            }
            if (keys[slot] == key) {
                return r;
            }
            slot = (slot + 1) & mask;
        }
    }

    private static long pack(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }
}
