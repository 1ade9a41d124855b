package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.IntField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;

/**
 * A {@link ChunkIndex} in a local Lucene index: an {@link MMapDirectory}, one {@link IndexWriter} and a
 * {@link SearcherManager} for concurrent searches while documents are added.
 *
 * <p>Durability: {@link #commit()} is Lucene's commit (files fsynced, then the new segments file
 * renamed into place), so after a crash — even {@code kill -9} mid-write — the index reopens at the
 * last commit, with nothing of later changes. Every commit records the index's {@link IndexLanguage}
 * and schema version; opening with another language fails with {@link IndexException}.
 *
 * <p>Visibility: a commit also refreshes the searchers; {@link #refresh()} shows uncommitted changes.
 */
public final class LuceneChunkIndex implements ChunkIndex {
    /** Commit data key of the analyzer the index was built with. */
    public static final String LANGUAGE_KEY = "spts.language";
    /** Commit data key of the field layout of {@link ChunkFields}; bump it when that layout changes. */
    public static final String SCHEMA_KEY = "spts.schema";
    public static final String SCHEMA_VERSION = "1";

    private final IndexOptions options;
    private final Analyzer analyzer;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;

    private LuceneChunkIndex(IndexOptions options, Analyzer analyzer, Directory directory, IndexWriter writer,
                             SearcherManager searchers) {
        this.options = options;
        this.analyzer = analyzer;
        this.directory = directory;
        this.writer = writer;
        this.searchers = searchers;
    }

    /**
     * Opens the index in {@code options.directory()}, creating it if it does not exist. A leftover of a
     * crash (files of an unfinished commit) is cleaned up by Lucene on open.
     *
     * @throws IndexException if the folder is locked by another writer, holds an index of another
     *                        language or schema, or cannot be read
     */
    public static LuceneChunkIndex open(IndexOptions options) {
        Directory directory = null;
        Analyzer analyzer = null;
        IndexWriter writer = null;
        try {
            Files.createDirectories(options.directory());
            directory = new MMapDirectory(options.directory());
            if (DirectoryReader.indexExists(directory)) {
                checkCompatible(options, SegmentInfos.readLatestCommit(directory).getUserData());
            }
            analyzer = analyzer(options.language());
            IndexWriterConfig config = new IndexWriterConfig(analyzer)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setRAMBufferSizeMB(options.ramBufferMb())
                    .setCommitOnClose(false); // only an explicit commit acknowledges anything
            writer = new IndexWriter(directory, config);
            writer.setLiveCommitData(Map.of(LANGUAGE_KEY, options.language().name(),
                    SCHEMA_KEY, SCHEMA_VERSION).entrySet());
            if (!DirectoryReader.indexExists(directory)) {
                writer.commit(); // an empty index that opens and records its language
            }
            return new LuceneChunkIndex(options, analyzer, directory, writer, new SearcherManager(writer, null));
        } catch (LockObtainFailedException e) {
            closeQuietly(writer, analyzer, directory);
            throw new IndexException("index " + options.directory() + " is open in another writer (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            closeQuietly(writer, analyzer, directory);
            throw new IndexException("cannot open index " + options.directory() + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(writer, analyzer, directory);
            throw e;
        }
    }

    private static void checkCompatible(IndexOptions options, Map<String, String> userData) {
        String language = userData.get(LANGUAGE_KEY);
        if (language != null && !language.equals(options.language().name())) {
            throw new IndexException("index " + options.directory() + " was built with the " + language
                    + " analyzer; opening it with " + options.language() + " would make queries miss its terms."
                    + " Open it with " + language + " or rebuild it in a new folder");
        }
        String schema = userData.get(SCHEMA_KEY);
        if (schema != null && !schema.equals(SCHEMA_VERSION)) {
            throw new IndexException("index " + options.directory() + " has field schema " + schema
                    + ", this version reads schema " + SCHEMA_VERSION + "; rebuild the index");
        }
    }

    /** The chosen language for text fields, keywords untouched (they are never analyzed anyway). */
    private static Analyzer analyzer(IndexLanguage language) {
        return new PerFieldAnalyzerWrapper(language.newAnalyzer(), Map.of(
                ChunkFields.COLLECTION, new KeywordAnalyzer(),
                ChunkFields.DOCUMENT_ID, new KeywordAnalyzer(),
                ChunkFields.DOCUMENT_KEY, new KeywordAnalyzer()));
    }

    public IndexOptions options() {
        return options;
    }

    /** The analyzer the text fields were indexed with; queries must be analyzed with it. */
    public Analyzer analyzer() {
        return analyzer;
    }

    /** The searchers over this index; acquire and release one per search. */
    public SearcherManager searcherManager() {
        return searchers;
    }

    @Override
    public void replace(IndexedDocument document, List<Chunk> chunks) {
        List<Document> docs = new ArrayList<>(chunks.size());
        for (Chunk chunk : chunks) {
            if (!chunk.documentId().equals(document.documentId())) {
                throw new IllegalArgumentException("chunk " + chunk.ordinal() + " belongs to document "
                        + chunk.documentId() + ", not to " + document.documentId());
            }
            docs.add(ChunkFields.toLucene(document, chunk));
        }
        Term key = ChunkFields.documentKey(document.collection(), document.documentId());
        write("replace " + document.documentId(), () -> {
            if (docs.isEmpty()) {
                writer.deleteDocuments(key);
            } else {
                // One block: Lucene applies the delete and all additions atomically, or none of them.
                writer.updateDocuments(key, docs);
            }
        });
    }

    @Override
    public void replaceAll(List<DocumentChunks> documents) {
        if (documents.isEmpty()) {
            return;
        }
        Set<BytesRef> keys = new HashSet<>();
        for (DocumentChunks d : documents) {
            Term key = ChunkFields.documentKey(d.document().collection(), d.document().documentId());
            if (!keys.add(key.bytes())) {
                throw new IllegalArgumentException("document " + d.document().documentId() + " appears twice in one batch");
            }
        }
        Query old = new TermInSetQuery(ChunkFields.DOCUMENT_KEY, keys); // no clause limit, unlike a BooleanQuery
        // Converted as Lucene reads them, inside the block: a failure part way aborts the whole block.
        Iterable<Document> chunks = () -> documents.stream()
                .flatMap(d -> d.chunks().stream().map(c -> ChunkFields.toLucene(d.document(), c)))
                .iterator();
        // One block: the deletes of the old versions and every new chunk are applied together, or not at all.
        write("replace " + documents.size() + " documents", () -> writer.updateDocuments(old, chunks));
    }

    @Override
    public void delete(String collection, String documentId) {
        write("delete " + documentId, () -> writer.deleteDocuments(ChunkFields.documentKey(collection, documentId)));
    }

    @Override
    public void deleteCollection(String collection) {
        write("delete collection " + collection, () -> writer.deleteDocuments(new Term(ChunkFields.COLLECTION, collection)));
    }

    @Override
    public long commit() {
        long[] sequence = new long[1];
        write("commit", () -> {
            sequence[0] = writer.commit();
            searchers.maybeRefreshBlocking();
        });
        return sequence[0];
    }

    @Override
    public void refresh() {
        write("refresh", searchers::maybeRefreshBlocking);
    }

    @Override
    public long chunkCount() {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                return searcher.getIndexReader().numDocs();
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new IndexException("cannot read index " + options.directory() + ": " + e, e);
        }
    }

    /**
     * Each document through its first chunk (ordinal 0), which carries the document's fields; its chunks are
     * counted on the same searcher, so a listing is one consistent view even while documents are replaced.
     */
    @Override
    public List<StoredDocument> documents(String collection, int limit) {
        BooleanQuery.Builder firstChunks = new BooleanQuery.Builder()
                .add(IntField.newExactQuery(ChunkFields.ORDINAL, 0), BooleanClause.Occur.FILTER);
        if (collection != null) {
            firstChunks.add(new TermQuery(new Term(ChunkFields.COLLECTION, collection)), BooleanClause.Occur.FILTER);
        }
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                StoredFields stored = searcher.storedFields();
                List<StoredDocument> documents = new ArrayList<>();
                for (ScoreDoc hit : searcher.search(firstChunks.build(), limit).scoreDocs) {
                    IndexedDocument document = ChunkFields.document(stored.document(hit.doc));
                    documents.add(new StoredDocument(document, searcher.count(new TermQuery(
                            ChunkFields.documentKey(document.collection(), document.documentId())))));
                }
                return documents;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new IndexException("listing documents of " + options.directory() + " failed: " + e, e);
        }
    }

    /** Closes without committing: changes after the last commit are dropped, as after a crash. */
    @Override
    public void close() {
        try {
            searchers.close();
            writer.rollback(); // closes the writer; its uncommitted changes were never acknowledged
        } catch (IOException e) {
            throw new UncheckedIOException("closing index " + options.directory(), e);
        } finally {
            closeQuietly(null, analyzer, directory);
        }
    }

    private interface IndexAction {
        void run() throws IOException;
    }

    private void write(String what, IndexAction action) {
        try {
            action.run();
        } catch (AlreadyClosedException e) {
            throw new IndexException("index " + options.directory() + " is closed" + tragedy(), e);
        } catch (IOException e) {
            throw new IndexException(what + " failed in index " + options.directory() + ": " + e + tragedy(), e);
        }
    }

    /** Why the writer closed itself, if it did (a disk error during a merge, say). */
    private String tragedy() {
        Throwable tragic = writer.getTragicException();
        return tragic == null ? "" : " (the writer failed earlier: " + tragic + ")";
    }

    private static void closeQuietly(IndexWriter writer, Analyzer analyzer, Directory directory) {
        for (AutoCloseable c : new AutoCloseable[] {writer, analyzer, directory}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already failing or closing; the first error is the one reported
                }
            }
        }
    }
}
