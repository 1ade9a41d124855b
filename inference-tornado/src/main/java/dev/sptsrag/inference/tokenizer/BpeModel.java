package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE over one pre-token: start from one token per byte, then repeatedly apply the
 * lowest-ranked merge among adjacent pairs (leftmost on ties) until none applies. A binary heap of
 * (rank, position) keeps long words (runs of spaces, minified code) linear-logarithmic. Results are
 * cached per pre-token, since real text repeats the same words constantly.
 */
final class BpeModel {
    private static final int CACHE_LIMIT = 100_000;
    private static final int CACHE_MAX_WORD = 64;

    private final Map<String, Integer> vocab; // vocabulary form -> id
    private final MergeTable merges;
    private final int[] byteToken = new int[256];
    private final boolean ignoreMerges;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab        the BPE vocabulary in byte-level form (read-only use)
     * @param merges       merges in rank order, by id
     * @param ignoreMerges emit a pre-token that is itself in the vocabulary as one token (Llama 3)
     */
    BpeModel(Map<String, Integer> vocab, MergeTable merges, boolean ignoreMerges, String source) {
        this.vocab = vocab;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new ModelFormatException(source + ": byte-level vocabulary lacks the token for byte 0x"
                        + Integer.toHexString(b));
            }
            byteToken[b] = id;
        }
    }

    MergeTable merges() { return merges; }

    boolean ignoresMerges() { return ignoreMerges; }

    /** Appends the ids of one pre-token (given as text; it is encoded as UTF-8). */
    void encode(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = encodeUncached(word);
            if (word.length() <= CACHE_MAX_WORD && cache.size() < CACHE_LIMIT) {
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] encodeUncached(String word) {
        byte[] bytes = word.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (ignoreMerges && bytes.length > 1) {
            Integer whole = vocab.get(ByteLevel.encode(bytes));
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int n = bytes.length;
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteToken[bytes[i] & 0xFF];
        }
        if (n < 2) {
            return sym;
        }
        return merge(sym);
    }

    /** Applies merges to a symbol sequence; positions form a linked list, stale heap entries are skipped. */
    private int[] merge(int[] sym) {
        int n = sym.length;
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int r = merges.rank(sym[i], sym[i + 1]);
            if (r >= 0) {
                heap.push(((long) r << 32) | i);
            }
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int i = (int) top;
            int j = next[i];
            if (sym[i] < 0 || j < 0 || merges.rank(sym[i], sym[j]) != rank) {
                continue; // this pair changed since it was queued
            }
            sym[i] = merges.result(rank);
            sym[j] = -1;
            int k = next[j];
            next[i] = k;
            if (k >= 0) {
                prev[k] = i;
            }
            alive--;
            int p = prev[i];
            if (p >= 0) {
                int r = merges.rank(sym[p], sym[i]);
                if (r >= 0) {
                    heap.push(((long) r << 32) | p);
                }
            }
            if (k >= 0) {
                int r = merges.rank(sym[i], sym[k]);
                if (r >= 0) {
                    heap.push(((long) r << 32) | i);
                }
            }
        }
        int[] out = new int[alive];
        int o = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[o++] = sym[i];
        }
        return out;
    }

    /** A min-heap of longs; ordering (rank, position) packed in one long gives HF's tie rule. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() { return size == 0; }

        void push(long v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) {
                    break;
                }
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int c = 2 * i + 1;
                if (c + 1 < size && a[c + 1] < a[c]) {
                    c++;
                }
                if (last <= a[c]) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
