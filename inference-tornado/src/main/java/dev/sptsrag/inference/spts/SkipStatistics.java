package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.decoder.PrefillFlops;

import java.util.Arrays;

/**
 * What an SPTS prefill did, per layer: candidates, removed before the layer, rows active in attention
 * and in the FFN; the time spent probing; the KV cache kept against the full pass; the FLOPs executed.
 */
public record SkipStatistics(int promptTokens, int[] candidates, int[] removed, int[] attentionActive, int[] ffnActive,
                             long probeNanos, long kvBytesKept, long kvBytesFull, int[][] attentionTokens,
                             int[][] ffnTokens, PrefillFlops flops) {

    /** The tokens (prompt positions) active in layer {@code l}'s attention, ascending. */
    public int[] attentionTokens(int l) { return attentionTokens[l].clone(); }

    /** The tokens active in layer {@code l}'s FFN, ascending. */
    public int[] ffnTokens(int l) { return ffnTokens[l].clone(); }

    @Override
    public int[] candidates() { return candidates.clone(); }

    @Override
    public int[] removed() { return removed.clone(); }

    @Override
    public int[] attentionActive() { return attentionActive.clone(); }

    @Override
    public int[] ffnActive() { return ffnActive.clone(); }

    /** Fraction of the full pass's KV cache that was kept. */
    public double kvFraction() {
        return kvBytesFull == 0 ? 1 : (double) kvBytesKept / kvBytesFull;
    }

    @Override
    public String toString() {
        return "attention rows " + Arrays.toString(attentionActive) + ", FFN rows " + Arrays.toString(ffnActive)
                + ", removed " + Arrays.toString(removed) + String.format(", probe %.1f ms, KV kept %.1f%%",
                probeNanos / 1e6, 100 * kvFraction());
    }

    static final class Builder {
        private final int promptTokens;
        private final int[] candidates;
        private final int[] removed;
        private final int[] attention;
        private final int[] ffn;
        private long probeNanos;
        private final int[][] attentionTokens;
        private final int[][] ffnTokens;

        Builder(int layers, int promptTokens) {
            this.promptTokens = promptTokens;
            candidates = new int[layers];
            removed = new int[layers];
            attention = new int[layers];
            ffn = new int[layers];
            attentionTokens = new int[layers][];
            ffnTokens = new int[layers][];
        }

        void probeNanos(long nanos) {
            probeNanos += nanos;
        }

        void layer(int l, int candidateCount, int removedCount, int[] attentionSet, int attentionRows, int[] ffnSet,
                   int ffnRows) {
            candidates[l] = candidateCount;
            removed[l] = removedCount;
            attention[l] = attentionRows;
            ffn[l] = ffnRows;
            attentionTokens[l] = java.util.Arrays.copyOf(attentionSet, attentionRows);
            ffnTokens[l] = java.util.Arrays.copyOf(ffnSet, ffnRows);
        }

        SkipStatistics build(KvCache cache, int sequence, PrefillFlops flops) {
            long bytesPerSlot = cache.slotBytes();
            long kept = 0;
            for (int l = 0; l < attention.length; l++) {
                kept += (long) cache.filled(sequence, l) * bytesPerSlot;
            }
            long full = (long) attention.length * promptTokens * bytesPerSlot;
            return new SkipStatistics(promptTokens, candidates, removed, attention, ffn, probeNanos, kept, full,
                    attentionTokens, ffnTokens, flops);
        }
    }
}
