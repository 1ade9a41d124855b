package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.index.ChunkFields;
import dev.sptsrag.retrieval.index.IndexException;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import org.apache.lucene.document.IntField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Lists the documents of a {@link LuceneChunkIndex}. Retrieval's interfaces search chunks; a document
 * is listed through its first chunk (ordinal 0), which carries the document's fields, and its chunk
 * count comes from the {@link Retriever}.
 */
public final class LuceneDocumentCatalog {
    private final LuceneChunkIndex index;
    private final Retriever retriever;

    public LuceneDocumentCatalog(LuceneChunkIndex index, Retriever retriever) {
        this.index = index;
        this.retriever = retriever;
    }

    /** Up to {@code limit} documents of {@code collection} (null: every collection). */
    public List<DocumentSummary> list(String collection, int limit) {
        BooleanQuery.Builder query = new BooleanQuery.Builder()
                .add(IntField.newExactQuery(ChunkFields.ORDINAL, 0), Occur.FILTER);
        if (collection != null) {
            query.add(new TermQuery(new Term(ChunkFields.COLLECTION, collection)), Occur.FILTER);
        }
        List<IndexedDocument> documents = new ArrayList<>();
        SearcherManager searchers = index.searcherManager();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                TopDocs top = searcher.search(query.build(), limit);
                StoredFields stored = searcher.storedFields();
                for (ScoreDoc d : top.scoreDocs) {
                    documents.add(ChunkFields.document(stored.document(d.doc)));
                }
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new IndexException("listing documents failed: " + e.getMessage(), e);
        }
        return documents.stream().map(d -> new DocumentSummary(d.collection(), d.documentId(), d.title(), d.source(),
                d.metadata(), retriever.count(SearchFilter.collection(d.collection()).withDocumentIds(Set.of(d.documentId())))))
                .toList();
    }
}
