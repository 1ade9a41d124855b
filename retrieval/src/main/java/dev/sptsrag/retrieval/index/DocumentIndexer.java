package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.ingest.ParsedDocument;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The ingest pipeline: load → chunk → replace in the index → commit. A document is parsed and chunked
 * completely before the index is touched, and the index takes its chunks atomically, so a document
 * that fails (corrupt, too large) leaves nothing behind and a failure in one document does not affect
 * the others. Thread-safe; works with any {@link ChunkIndex}.
 */
public final class DocumentIndexer {
    private final DocumentLoader loader;
    private final Chunker chunker;
    private final ChunkIndex index;

    public DocumentIndexer(DocumentLoader loader, Chunker chunker, ChunkIndex index) {
        this.loader = loader;
        this.chunker = chunker;
        this.index = index;
    }

    /**
     * Loads, indexes and commits a file. When this returns the document is durable and searchable.
     *
     * @param metadata added to what the document says about itself (the caller's values win)
     */
    public IngestReceipt ingest(String collection, String documentId, Path file, Map<String, String> metadata)
            throws IOException {
        IngestReceipt indexed = index(collection, documentId, loader.load(file), metadata);
        long sequence = index.commit();
        return new IngestReceipt(collection, documentId, indexed.chunks(), indexed.tokens(), sequence);
    }

    /** Chunks and indexes a parsed document without committing (commit once for a batch). */
    public IngestReceipt index(String collection, String documentId, ParsedDocument document,
                               Map<String, String> metadata) {
        ChunkIndex.DocumentChunks prepared = prepare(collection, documentId, document, metadata);
        index.replace(prepared.document(), prepared.chunks());
        return receipt(prepared, -1);
    }

    /** A parsed document chunked and ready for {@link #indexAll}; the index is not touched. */
    public ChunkIndex.DocumentChunks prepare(String collection, String documentId, ParsedDocument document,
                                             Map<String, String> metadata) {
        Map<String, String> all = new HashMap<>();
        all.put("format", document.format().name().toLowerCase(Locale.ROOT));
        all.putAll(document.metadata());
        all.putAll(metadata);
        IndexedDocument indexed = new IndexedDocument(collection, documentId, document.title(), document.source(), all);
        return new ChunkIndex.DocumentChunks(indexed, chunker.chunk(documentId, document));
    }

    /**
     * Indexes prepared documents all or none ({@link ChunkIndex#replaceAll}) and commits: when this returns
     * every one is durable and searchable; when it throws, none of them was indexed.
     */
    public List<IngestReceipt> indexAll(List<ChunkIndex.DocumentChunks> documents) {
        index.replaceAll(documents);
        long sequence = index.commit();
        return documents.stream().map(d -> receipt(d, sequence)).toList();
    }

    private static IngestReceipt receipt(ChunkIndex.DocumentChunks d, long sequence) {
        long tokens = d.chunks().stream().mapToLong(Chunk::tokens).sum();
        return new IngestReceipt(d.document().collection(), d.document().documentId(), d.chunks().size(), tokens, sequence);
    }

    public DocumentLoader loader() {
        return loader;
    }

    public ChunkIndex chunkIndex() {
        return index;
    }
}
