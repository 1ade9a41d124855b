package dev.sptsrag.retrieval.search;

import java.util.List;

/**
 * The read side of a chunk store: ranked search and positional fetches. Callers (the context builder,
 * the service) depend on this interface only, so that a distributed engine can replace the local
 * Lucene index. Implementations are thread-safe and see the changes of the last commit or refresh.
 */
public interface Retriever {

    /** The request's best chunks by relevance. */
    SearchResults search(SearchRequest request);

    /**
     * The chunks of one document with ordinals in {@code [fromOrdinal, toOrdinal]}, in order (score 0);
     * used to widen a hit with its neighbours.
     */
    List<ChunkHit> chunks(String collection, String documentId, int fromOrdinal, int toOrdinal);

    /** How many chunks pass the filter (e.g. to tell whether a document exists). */
    long count(SearchFilter filter);
}
