/**
 * The index: where chunks are stored, replaced and deleted by document.
 *
 * <p>{@link dev.sptsrag.retrieval.index.ChunkIndex} is the engine-neutral write side (a distributed engine
 * can implement it); {@link dev.sptsrag.retrieval.index.LuceneChunkIndex} is the local implementation: an
 * {@code MMapDirectory}, one {@code IndexWriter}, a {@code SearcherManager}, the schema of
 * {@link dev.sptsrag.retrieval.index.ChunkFields}, and an {@link dev.sptsrag.retrieval.index.IndexLanguage}
 * chosen per index and recorded in it. A document is an {@link dev.sptsrag.retrieval.index.IndexedDocument}
 * (collection, id, title, source, keyword metadata); collections are namespaces.
 *
 * <p>Guarantees: {@code replace} and {@code delete} are atomic per document; {@code commit} returns once
 * every earlier change is durable (a {@code kill -9} after it loses none of them) and searchable; nothing
 * uncommitted survives a crash or a {@code close}. {@link dev.sptsrag.retrieval.index.DocumentIndexer} runs
 * load → chunk → replace (→ commit) and touches the index only with a whole, parsed document.
 * Failures of the index itself are {@link dev.sptsrag.retrieval.index.IndexException}s.
 */
package dev.sptsrag.retrieval.index;
