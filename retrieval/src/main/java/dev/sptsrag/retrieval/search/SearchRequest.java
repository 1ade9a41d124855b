package dev.sptsrag.retrieval.search;

/**
 * A question to retrieve evidence for.
 *
 * @param query  the user's text, as typed: it is analyzed, never parsed as query syntax
 * @param topK   how many chunks to return, best first (1 to {@link #MAX_TOP_K}); a 128K-token context
 *               of 384-token chunks needs a few hundred
 * @param filter which chunks may be returned
 */
public record SearchRequest(String query, int topK, SearchFilter filter) {
    public static final int MAX_TOP_K = 10_000;

    public SearchRequest {
        if (query == null || query.isBlank()) {
            throw new IllegalArgumentException("query must not be blank");
        }
        if (topK < 1 || topK > MAX_TOP_K) {
            throw new IllegalArgumentException("topK must be in [1, " + MAX_TOP_K + "], got " + topK);
        }
        filter = filter == null ? SearchFilter.NONE : filter;
    }

    public SearchRequest(String query, int topK) {
        this(query, topK, SearchFilter.NONE);
    }
}
