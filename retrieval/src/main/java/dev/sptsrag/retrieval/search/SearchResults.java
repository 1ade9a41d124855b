package dev.sptsrag.retrieval.search;

import java.util.List;

/**
 * @param hits      the best chunks, best first, at most the request's topK
 * @param totalHits how many chunks matched in all (a lower bound when the engine stops counting early)
 * @param tookNanos time spent in the engine
 */
public record SearchResults(List<ChunkHit> hits, long totalHits, long tookNanos) {
    public SearchResults {
        hits = List.copyOf(hits);
    }
}
