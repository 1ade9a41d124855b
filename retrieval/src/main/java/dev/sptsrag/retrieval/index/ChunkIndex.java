package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;

import java.io.Closeable;
import java.util.List;

/**
 * The write side of a chunk store: documents go in as their chunks and come out by id. Callers depend
 * on this interface, not on Lucene, so a distributed engine (OpenSearch) can take the local index's
 * place; {@link dev.sptsrag.retrieval.search.Retriever} is the read side.
 *
 * <p>Changes are atomic per document and become durable at {@link #commit()}: after a crash the index
 * holds exactly the committed documents. Implementations are thread-safe.
 */
public interface ChunkIndex extends Closeable {

    /**
     * Puts the document's chunks in place of any it had (adds it if it is new). Searchers see either
     * all of the old chunks or all of the new ones, never a mix or a part.
     *
     * @throws IllegalArgumentException if a chunk belongs to another document
     */
    void replace(IndexedDocument document, List<Chunk> chunks);

    /**
     * Puts several documents in place at once, all or none: searchers, and the index after a crash, see
     * either every one of them replaced or none touched. A batch upload uses it so that a failure part way
     * leaves nothing of the batch behind.
     *
     * @throws IllegalArgumentException if a chunk belongs to another document, or a document appears twice
     */
    void replaceAll(List<DocumentChunks> documents);

    /** A document and the chunks that replace its old ones. */
    record DocumentChunks(IndexedDocument document, List<Chunk> chunks) {
        public DocumentChunks {
            chunks = List.copyOf(chunks);
            for (Chunk chunk : chunks) {
                if (!chunk.documentId().equals(document.documentId())) {
                    throw new IllegalArgumentException("chunk " + chunk.ordinal() + " belongs to document "
                            + chunk.documentId() + ", not to " + document.documentId());
                }
            }
        }
    }

    /** Removes the document's chunks; a document that is not there is no error. */
    void delete(String collection, String documentId);

    /** Removes every document of the collection. */
    void deleteCollection(String collection);

    /**
     * Makes every change made before the call durable (it survives a crash or a power loss) and
     * searchable. Returns when both hold; that is the acknowledgement of an ingest.
     *
     * @return a number that grows with every commit
     */
    long commit();

    /** Makes changes searchable without making them durable (cheaper than a commit). */
    void refresh();

    /** Chunks in the index as the latest refresh sees them (deleted ones not counted). */
    long chunkCount();

    /**
     * Up to {@code limit} documents of {@code collection} (null: of every collection) with their chunk counts,
     * in the index's order, as the latest refresh sees them. The store holds chunks, so this is how a
     * caller lists documents without knowing how chunks carry their document.
     */
    List<StoredDocument> documents(String collection, int limit);

    /** A document in the index and how many chunks it has there. */
    record StoredDocument(IndexedDocument document, long chunks) {
    }

    @Override
    void close();
}
