/**
 * Search: a question to the best chunks.
 *
 * <p>{@link dev.sptsrag.retrieval.search.Retriever} is the engine-neutral read side: ranked
 * {@link dev.sptsrag.retrieval.search.Retriever#search search}, positional
 * {@link dev.sptsrag.retrieval.search.Retriever#chunks chunks} (a hit's neighbours) and
 * {@link dev.sptsrag.retrieval.search.Retriever#count count}. A
 * {@link dev.sptsrag.retrieval.search.SearchRequest} carries the user's text, top-k and a
 * {@link dev.sptsrag.retrieval.search.SearchFilter} (collections, documents, metadata values); results are
 * {@link dev.sptsrag.retrieval.search.ChunkHit}s, best first.
 *
 * <p>{@link dev.sptsrag.retrieval.search.LuceneRetriever} scores with BM25: the question is analyzed with
 * the index's analyzer (never parsed as query syntax) and its terms match the chunk text, its section
 * headings and its document title, weighted by {@link dev.sptsrag.retrieval.search.FieldBoosts}.
 */
package dev.sptsrag.retrieval.search;
