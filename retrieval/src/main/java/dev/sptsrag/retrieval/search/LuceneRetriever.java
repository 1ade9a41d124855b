package dev.sptsrag.retrieval.search;

import dev.sptsrag.retrieval.index.ChunkFields;
import dev.sptsrag.retrieval.index.IndexException;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.IntField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortedNumericSelector;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.QueryBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * BM25 search over a {@link LuceneChunkIndex}. The query text is analyzed with the index's analyzer
 * (never parsed as Lucene syntax, so "what does -f do?" is just words) and each term may match the
 * chunk's text, its section headings or its document title, weighted by {@link FieldBoosts}. Filters
 * are non-scoring clauses. Each search holds one searcher from the index's {@link SearcherManager}, so
 * it sees one consistent point in time while documents are being added.
 */
public final class LuceneRetriever implements Retriever {
    private final LuceneChunkIndex index;
    private final FieldBoosts boosts;
    private final QueryBuilder queries;

    public LuceneRetriever(LuceneChunkIndex index) {
        this(index, FieldBoosts.defaults());
    }

    public LuceneRetriever(LuceneChunkIndex index, FieldBoosts boosts) {
        this.index = index;
        this.boosts = boosts;
        this.queries = new QueryBuilder(index.analyzer());
    }

    @Override
    public SearchResults search(SearchRequest request) {
        long started = System.nanoTime();
        BooleanQuery.Builder relevance = new BooleanQuery.Builder();
        boolean anyTerm = addField(relevance, ChunkFields.TEXT, request.query(), boosts.text());
        anyTerm |= addField(relevance, ChunkFields.SECTION, request.query(), boosts.section());
        anyTerm |= addField(relevance, ChunkFields.TITLE, request.query(), boosts.title());
        if (!anyTerm) {
            return new SearchResults(List.of(), 0, System.nanoTime() - started); // only stop words
        }
        // MUST, not beside the filters: next to a FILTER clause, SHOULD clauses would become optional.
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(relevance.build(), Occur.MUST);
        addFilters(query, request.filter());
        return withSearcher(searcher -> {
            TopDocs top = searcher.search(query.build(), request.topK());
            List<ChunkHit> hits = hits(searcher, top);
            return new SearchResults(hits, top.totalHits.value(), System.nanoTime() - started);
        });
    }

    @Override
    public List<ChunkHit> chunks(String collection, String documentId, int fromOrdinal, int toOrdinal) {
        if (toOrdinal < fromOrdinal) {
            return List.of();
        }
        Query query = new BooleanQuery.Builder()
                .add(new TermQuery(ChunkFields.documentKey(collection, documentId)), Occur.FILTER)
                .add(IntField.newRangeQuery(ChunkFields.ORDINAL, fromOrdinal, toOrdinal), Occur.FILTER)
                .build();
        Sort byOrdinal = new Sort(IntField.newSortField(ChunkFields.ORDINAL, false, SortedNumericSelector.Type.MIN));
        int most = (int) Math.min((long) toOrdinal - fromOrdinal + 1, SearchRequest.MAX_TOP_K);
        return withSearcher(searcher -> hits(searcher, searcher.search(query, most, byOrdinal)));
    }

    @Override
    public long count(SearchFilter filter) {
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(new MatchAllDocsQuery(), Occur.MUST);
        addFilters(query, filter);
        return withSearcher(searcher -> (long) searcher.count(query.build()));
    }

    private boolean addField(BooleanQuery.Builder query, String field, String text, float boost) {
        if (boost == 0) {
            return false;
        }
        Query terms = queries.createBooleanQuery(field, text, Occur.SHOULD);
        if (terms == null) {
            return false;
        }
        query.add(boost == 1 ? terms : new BoostQuery(terms, boost), Occur.SHOULD);
        return true;
    }

    private static void addFilters(BooleanQuery.Builder query, SearchFilter filter) {
        addAnyOf(query, ChunkFields.COLLECTION, filter.collections());
        addAnyOf(query, ChunkFields.DOCUMENT_ID, filter.documentIds());
        for (Map.Entry<String, String> e : filter.metadata().entrySet()) {
            query.add(new TermQuery(new Term(ChunkFields.METADATA_PREFIX + e.getKey(), e.getValue())), Occur.FILTER);
        }
    }

    private static void addAnyOf(BooleanQuery.Builder query, String field, Collection<String> values) {
        if (!values.isEmpty()) {
            query.add(new TermInSetQuery(field, values.stream().map(BytesRef::new).toList()), Occur.FILTER);
        }
    }

    private static List<ChunkHit> hits(IndexSearcher searcher, TopDocs top) throws IOException {
        StoredFields stored = searcher.storedFields();
        List<ChunkHit> hits = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc sd : top.scoreDocs) {
            Document d = stored.document(sd.doc);
            float score = Float.isNaN(sd.score) ? 0 : sd.score; // sorted fetches carry no score
            hits.add(new ChunkHit(ChunkFields.document(d), ChunkFields.chunk(d), score));
        }
        return hits;
    }

    private interface SearcherAction<T> {
        T apply(IndexSearcher searcher) throws IOException;
    }

    private <T> T withSearcher(SearcherAction<T> action) {
        SearcherManager manager = index.searcherManager();
        try {
            IndexSearcher searcher = manager.acquire();
            try {
                return action.apply(searcher);
            } finally {
                manager.release(searcher);
            }
        } catch (IOException e) {
            throw new IndexException("search failed in index " + index.options().directory() + ": " + e, e);
        }
    }
}
