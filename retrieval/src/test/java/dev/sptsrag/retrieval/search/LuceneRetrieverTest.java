package dev.sptsrag.retrieval.search;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.index.IndexOptions;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import dev.sptsrag.retrieval.testing.Chunks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LuceneRetrieverTest {
    @TempDir
    Path dir;
    private LuceneChunkIndex index;
    private LuceneRetriever retriever;

    @BeforeEach
    void indexSomeDocuments() {
        index = LuceneChunkIndex.open(IndexOptions.at(dir));
        index.replace(new IndexedDocument("docs", "pumps", "Pump manual", "pumps.md", Map.of("lang", "en", "team", "ops")),
                Chunks.of("pumps", "The pump starts when the basin is full.", "Pumps are greased monthly; greasing pumps matters.",
                        "Valves close at night.", "The gauge reads pressure in bar."));
        index.replace(new IndexedDocument("docs", "ferry", "Ferry timetable", "ferry.txt", Map.of("lang", "en", "team", "travel")),
                Chunks.of("ferry", "The night ferry leaves at midnight.", "Tickets for the ferry are sold on board."));
        index.replace(new IndexedDocument("archive", "pumps", "Old pump manual", "old.md", Map.of("lang", "de")),
                Chunks.of("pumps", "Die Pumpe startet wenn das Becken voll ist. pump"));
        index.commit();
        retriever = new LuceneRetriever(index);
    }

    @AfterEach
    void close() {
        index.close();
    }

    private List<String> ids(SearchResults results) {
        return results.hits().stream().map(h -> h.document().collection() + "/" + h.chunk().documentId() + "#" + h.chunk().ordinal()).toList();
    }

    @Test
    void bm25RanksTheChunkThatSaysItMostFirstAndStemsEnglish() {
        SearchResults results = retriever.search(new SearchRequest("greasing the pumps", 10));
        assertEquals("docs/pumps#1", ids(results).getFirst(), "stemmed: greasing~greased, pumps~pump");
        assertTrue(results.totalHits() >= 3);
        for (int i = 1; i < results.hits().size(); i++) {
            assertTrue(results.hits().get(i - 1).score() >= results.hits().get(i).score(), "best first");
        }
    }

    @Test
    void headingsAndTitlesCountForEveryChunkOfTheirDocument() {
        // "timetable" appears only in the title of the ferry document.
        List<String> found = ids(retriever.search(new SearchRequest("timetable", 10)));
        assertEquals(Set.of("docs/ferry#0", "docs/ferry#1"), Set.copyOf(found));
    }

    @Test
    void filtersRestrictByCollectionDocumentAndMetadata() {
        assertEquals(List.of("archive/pumps#0"),
                ids(retriever.search(new SearchRequest("pump", 10, SearchFilter.collection("archive")))));
        List<String> inDocs = ids(retriever.search(new SearchRequest("pump", 10, SearchFilter.collection("docs"))));
        assertTrue(!inDocs.isEmpty() && inDocs.stream().allMatch(id -> id.startsWith("docs/pumps")), inDocs.toString());
        assertEquals(List.of("docs/ferry#0"),
                ids(retriever.search(new SearchRequest("night", 10, SearchFilter.NONE.withDocumentIds(Set.of("ferry"))))));
        assertEquals(List.of(), ids(retriever.search(new SearchRequest("ferry", 10, SearchFilter.NONE.withDocumentIds(Set.of("pumps"))))));
        assertEquals(List.of("archive/pumps#0"),
                ids(retriever.search(new SearchRequest("pump", 10, SearchFilter.NONE.withMetadata("lang", "de")))));
        SearchFilter twoCollections = SearchFilter.NONE.withCollections(Set.of("docs", "archive")).withMetadata("lang", "en");
        assertTrue(ids(retriever.search(new SearchRequest("pump", 10, twoCollections))).stream().noneMatch(id -> id.startsWith("archive")));
        assertEquals(4, retriever.count(SearchFilter.NONE.withMetadata("team", "ops")));
    }

    @Test
    void queryTextIsNeverParsedAsSyntax() {
        for (String q : List.of("what does -f do? AND (pump", "pump\"", "title:pump", "pump~2 [a TO b]", "*", "\\")) {
            retriever.search(new SearchRequest(q, 5)); // must not throw
        }
        assertEquals(List.of(), retriever.search(new SearchRequest("the and of", 5)).hits(), "only stop words: no hits");
        assertThrows(IllegalArgumentException.class, () -> new SearchRequest(" ", 5));
        assertThrows(IllegalArgumentException.class, () -> new SearchRequest("pump", 0));
    }

    @Test
    void topKLimitsTheHits() {
        assertEquals(2, retriever.search(new SearchRequest("pump ferry valves gauge", 2)).hits().size());
    }

    @Test
    void neighboursComeInOrder() {
        List<ChunkHit> chunks = retriever.chunks("docs", "pumps", 1, 5);
        assertEquals(List.of(1, 2, 3), chunks.stream().map(h -> h.chunk().ordinal()).toList());
        assertEquals(0f, chunks.getFirst().score());
        assertEquals(List.of(), retriever.chunks("docs", "pumps", 3, 2));
        Chunk first = retriever.chunks("archive", "pumps", 0, 0).getFirst().chunk();
        assertTrue(first.text().startsWith("Die Pumpe"));
    }

    @Test
    void searchesSeeTheLastCommitOrRefresh() {
        index.replace(Chunks.document("docs", "new"), Chunks.of("new", "lighthouse keeper"));
        assertEquals(0, retriever.search(new SearchRequest("lighthouse", 5)).hits().size());
        index.refresh();
        assertEquals(1, retriever.search(new SearchRequest("lighthouse", 5)).hits().size());
    }
}
