package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.index.DocumentIndexer;
import dev.sptsrag.retrieval.index.IngestReceipt;
import dev.sptsrag.retrieval.ingest.DocumentFormat;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.retrieval.search.SearchFilter;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The documents behind the RAG API: add (an upload or plain text), list, delete. Every change is
 * committed before it returns, so an acknowledged document is durable and searchable.
 */
public final class DocumentLibrary {
    private final DocumentIndexer indexer;
    private final Retriever retriever;
    private final LuceneDocumentCatalog catalog;

    public DocumentLibrary(DocumentIndexer indexer, Retriever retriever, LuceneDocumentCatalog catalog) {
        this.indexer = indexer;
        this.retriever = retriever;
        this.catalog = catalog;
    }

    /** Parses an uploaded file (format by its name, then its content) and indexes it under {@code id}. */
    public IngestReceipt addFile(String collection, String id, String fileName, byte[] content) {
        return add(collection, id, indexer.loader().parse(fileName, content, null));
    }

    /** Indexes plain text under {@code id}; {@code title} null: the id. */
    public IngestReceipt addText(String collection, String id, String title, String text) {
        ParsedDocument parsed = indexer.loader().parse(id, text.getBytes(StandardCharsets.UTF_8), DocumentFormat.PLAIN_TEXT);
        return add(collection, id, new ParsedDocument(parsed.source(), parsed.format(), title != null ? title : id,
                parsed.text(), parsed.sections(), parsed.pages(), parsed.metadata()));
    }

    private IngestReceipt add(String collection, String id, ParsedDocument document) {
        IngestReceipt indexed = indexer.index(collection, id, document, Map.of());
        long sequence = indexer.chunkIndex().commit();
        return new IngestReceipt(collection, id, indexed.chunks(), indexed.tokens(), sequence);
    }

    public List<DocumentSummary> list(String collection, int limit) {
        return catalog.list(collection, limit);
    }

    /** Removes the document and commits; {@link DocumentNotFoundException} if it is not there. */
    public void delete(String collection, String id) {
        if (retriever.count(SearchFilter.collection(collection).withDocumentIds(Set.of(id))) == 0) {
            throw new DocumentNotFoundException(collection, id);
        }
        indexer.chunkIndex().delete(collection, id);
        indexer.chunkIndex().commit();
    }
}
