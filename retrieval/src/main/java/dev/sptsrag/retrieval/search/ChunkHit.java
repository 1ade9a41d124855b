package dev.sptsrag.retrieval.search;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.index.IndexedDocument;

/**
 * A retrieved chunk, its document and its relevance.
 *
 * @param score the engine's relevance (BM25 for Lucene): higher is better, comparable only within one
 *              search; 0 for chunks fetched by position rather than by a query
 */
public record ChunkHit(IndexedDocument document, Chunk chunk, float score) {}
