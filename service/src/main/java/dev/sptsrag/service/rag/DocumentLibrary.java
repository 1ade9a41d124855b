package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.index.ChunkIndex;
import dev.sptsrag.retrieval.index.DocumentIndexer;
import dev.sptsrag.retrieval.index.IngestReceipt;
import dev.sptsrag.retrieval.ingest.DocumentFormat;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.retrieval.search.SearchFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The documents behind the RAG API: add (an upload of one or more files, or plain text), list, delete.
 * Every change is committed before it returns, so an acknowledged document is durable and searchable;
 * an upload of several files is indexed all or none.
 */
public final class DocumentLibrary {
    private final DocumentIndexer indexer;
    private final Retriever retriever;
    private final int maxTitleChars;

    public DocumentLibrary(DocumentIndexer indexer, Retriever retriever, int maxTitleChars) {
        this.indexer = indexer;
        this.retriever = retriever;
        this.maxTitleChars = maxTitleChars;
    }

    /** An uploaded file: its id, its name (which says its format) and its bytes, read when it is parsed. */
    public record Upload(String id, String fileName, Content content) {
    }

    /** The bytes of an upload; read once, when its turn to be parsed comes (one file in memory at a time). */
    @FunctionalInterface
    public interface Content {
        byte[] read() throws IOException;
    }

    /**
     * Parses and chunks every file (format by its name, then its content), then indexes them all or none
     * and commits once. A file that cannot be read, parsed or chunked fails the whole upload before the
     * index is touched; so does a failure while indexing (one block, {@code ChunkIndex.replaceAll}).
     */
    public List<IngestReceipt> addFiles(String collection, List<Upload> uploads) throws IOException {
        List<ChunkIndex.DocumentChunks> prepared = new ArrayList<>(uploads.size());
        for (Upload u : uploads) {
            ParsedDocument parsed = indexer.loader().parse(u.fileName(), u.content().read(), null);
            prepared.add(indexer.prepare(collection, u.id(), titled(parsed, parsed.title()), Map.of()));
        }
        return indexer.indexAll(prepared);
    }

    /** Indexes plain text under {@code id}; {@code title} null: the id. */
    public IngestReceipt addText(String collection, String id, String title, String text) {
        ParsedDocument parsed = indexer.loader().parse(id, text.getBytes(StandardCharsets.UTF_8), DocumentFormat.PLAIN_TEXT);
        return indexer.indexAll(List.of(indexer.prepare(collection, id, titled(parsed, title != null ? title : id),
                Map.of()))).getFirst();
    }

    /** The document with {@code title}, cut to {@code maxTitleChars} (titles come back in every listing and citation). */
    private ParsedDocument titled(ParsedDocument d, String title) {
        String t = title == null || title.length() <= maxTitleChars ? title
                : title.substring(0, Character.isLowSurrogate(title.charAt(maxTitleChars)) ? maxTitleChars - 1 : maxTitleChars);
        return new ParsedDocument(d.source(), d.format(), t, d.text(), d.sections(), d.pages(), d.metadata());
    }

    public int maxTitleChars() {
        return maxTitleChars;
    }

    /** Up to {@code limit} documents of {@code collection} (null: every collection), as the last commit left them. */
    public List<DocumentSummary> list(String collection, int limit) {
        return indexer.chunkIndex().documents(collection, limit).stream().map(d -> new DocumentSummary(
                d.document().collection(), d.document().documentId(), d.document().title(), d.document().source(),
                d.document().metadata(), d.chunks())).toList();
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
