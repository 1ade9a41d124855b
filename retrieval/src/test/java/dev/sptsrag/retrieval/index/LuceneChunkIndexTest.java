package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.testing.Chunks;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LuceneChunkIndexTest {
    @TempDir
    Path dir;

    private static long count(LuceneRetriever retriever, String collection, String id) {
        return retriever.count(SearchFilter.collection(collection).withDocumentIds(Set.of(id)));
    }

    @Test
    void storedChunksComeBackAsTheyWentIn() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            Chunk chunk = new Chunk("manual", 3, "The sluice gates open at high tide.", 120, 155,
                    List.of("2 Operation", "2.1 Gates"), "gates", 4, 5, 9);
            IndexedDocument doc = new IndexedDocument("ops", "manual", "Station Manual", "manual.pdf",
                    Map.of("lang", "en", "format", "pdf"));
            index.replace(doc, List.of(chunk));
            index.commit();
            List<ChunkHit> hits = new LuceneRetriever(index).search(new SearchRequest("sluice", 5)).hits();
            assertEquals(1, hits.size());
            assertEquals(chunk, hits.getFirst().chunk());
            assertEquals(doc, hits.getFirst().document());
            assertTrue(hits.getFirst().score() > 0);
        }
    }

    @Test
    void documentsAreListedOncePerDocumentWithTheirFieldsAndChunkCounts() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            IndexedDocument manual = new IndexedDocument("ops", "manual", "Station Manual", "manual.pdf", Map.of("lang", "en"));
            index.replace(manual, Chunks.of("manual", "one", "two", "three"));
            index.replace(Chunks.document("ops", "log"), Chunks.of("log", "entry"));
            index.replace(Chunks.document("hr", "staff"), Chunks.of("staff", "a", "b"));
            index.commit();

            List<ChunkIndex.StoredDocument> ops = index.documents("ops", 10);
            assertEquals(Set.of(new ChunkIndex.StoredDocument(manual, 3),
                    new ChunkIndex.StoredDocument(Chunks.document("ops", "log"), 1)), Set.copyOf(ops));
            assertEquals(2, ops.size(), "one entry per document, not per chunk");
            assertEquals(3, index.documents(null, 10).size(), "null: every collection");
            assertEquals(2, index.documents(null, 2).size(), "at most the limit");
            assertTrue(index.documents("none", 10).isEmpty());

            index.delete("ops", "manual");
            assertEquals(2, index.documents("ops", 10).size(), "a delete is seen from the next refresh or commit on");
            index.commit();
            assertEquals(List.of(new ChunkIndex.StoredDocument(Chunks.document("ops", "log"), 1)), index.documents("ops", 10));
        }
    }

    @Test
    void replaceSwapsAllChunksOfADocumentAndDeleteRemovesThem() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            LuceneRetriever retriever = new LuceneRetriever(index);
            index.replace(Chunks.document("c", "a"), Chunks.of("a", "old one", "old two", "old three"));
            index.replace(Chunks.document("c", "b"), Chunks.of("b", "bravo text"));
            index.commit();
            assertEquals(3, count(retriever, "c", "a"));

            index.replace(Chunks.document("c", "a"), Chunks.of("a", "new one"));
            index.commit();
            assertEquals(1, count(retriever, "c", "a"));
            assertEquals(0, retriever.search(new SearchRequest("old", 10)).hits().size());
            assertEquals("new one", retriever.search(new SearchRequest("new", 10)).hits().getFirst().chunk().text());

            index.delete("c", "a");
            index.delete("c", "never-there");
            index.commit();
            assertEquals(0, count(retriever, "c", "a"));
            assertEquals(1, count(retriever, "c", "b"), "other documents stay");
            assertEquals(1, index.chunkCount());

            index.replace(Chunks.document("c", "b"), List.of());
            index.commit();
            assertEquals(0, index.chunkCount(), "replacing with no chunks deletes");
        }
    }

    @Test
    void collectionsAreNamespaces() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            LuceneRetriever retriever = new LuceneRetriever(index);
            index.replace(Chunks.document("team-a", "doc"), Chunks.of("doc", "alpha harbour"));
            index.replace(Chunks.document("team-b", "doc"), Chunks.of("doc", "beta harbour", "beta quay"));
            index.commit();
            assertEquals(1, count(retriever, "team-a", "doc"), "the same id in two collections is two documents");
            assertEquals(2, count(retriever, "team-b", "doc"));
            index.delete("team-a", "doc");
            index.commit();
            assertEquals(2, count(retriever, "team-b", "doc"));
            index.deleteCollection("team-b");
            index.commit();
            assertEquals(0, index.chunkCount());
        }
    }

    @Test
    void replaceAllPutsABatchInPlaceAllOrNone() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            LuceneRetriever retriever = new LuceneRetriever(index);
            index.replace(Chunks.document("c", "doc-3"), Chunks.of("doc-3", "old three"));
            index.commit();
            List<ChunkIndex.DocumentChunks> batch = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(new ChunkIndex.DocumentChunks(Chunks.document("c", "doc-" + i),
                        Chunks.of("doc-" + i, "first of " + i, "second of " + i)));
            }
            // A batch that fails at its 26th document, inside Lucene's block (a chunk whose stored field
            // cannot be built: a null text), leaves nothing, not the 25 before it, and keeps the old doc-3.
            List<ChunkIndex.DocumentChunks> failing = new java.util.ArrayList<>(batch);
            failing.set(25, new ChunkIndex.DocumentChunks(Chunks.document("c", "doc-25"),
                    List.of(new Chunk("doc-25", 0, null, 0, 0, List.of(), null, 0, 0, 1))));
            assertThrows(RuntimeException.class, () -> index.replaceAll(failing));
            index.commit();
            assertEquals(1, index.chunkCount(), "nothing of the failed batch, even after a later commit");
            assertEquals(1, count(retriever, "c", "doc-3"));

            index.replaceAll(batch);
            index.commit();
            assertEquals(100, index.chunkCount(), "doc-3's old chunk replaced, the 50 documents in");
            assertEquals(0, retriever.search(new SearchRequest("old", 10)).hits().size());
            assertThrows(IllegalArgumentException.class, () -> index.replaceAll(List.of(batch.get(0), batch.get(0))),
                    "a document twice in one batch");
        }
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            assertEquals(100, index.chunkCount(), "the committed batch is durable");
        }
    }

    @Test
    void onlyCommittedChangesSurviveAReopen() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            index.replace(Chunks.document("c", "kept"), Chunks.of("kept", "committed words"));
            index.commit();
            index.replace(Chunks.document("c", "lost"), Chunks.of("lost", "uncommitted words"));
            index.refresh();
            assertEquals(2, index.chunkCount(), "a refresh makes it searchable...");
        }
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            assertEquals(1, index.chunkCount(), "...but only a commit makes it durable");
            assertEquals("kept", new LuceneRetriever(index).search(new SearchRequest("words", 5)).hits().getFirst().chunk().documentId());
        }
    }

    @Test
    void anIndexRemembersItsLanguage() {
        LuceneChunkIndex.open(IndexOptions.at(dir)).close();
        IndexException e = assertThrows(IndexException.class,
                () -> LuceneChunkIndex.open(IndexOptions.at(dir).withLanguage(IndexLanguage.GERMAN)));
        assertTrue(e.getMessage().contains("was built with the ENGLISH analyzer; opening it with GERMAN"), e.getMessage());
        LuceneChunkIndex.open(IndexOptions.at(dir)).close();
    }

    @Test
    void aSecondWriterOnTheSameFolderIsRefused() {
        try (LuceneChunkIndex first = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            IndexException e = assertThrows(IndexException.class, () -> LuceneChunkIndex.open(IndexOptions.at(dir)));
            assertTrue(e.getMessage().contains("is open in another writer"), e.getMessage());
        }
    }

    @Test
    void aChunkOfAnotherDocumentIsRejected() {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            assertThrows(IllegalArgumentException.class,
                    () -> index.replace(Chunks.document("c", "a"), Chunks.of("b", "text")));
        }
    }

    @Test
    void theIndexPassesCheckIndexAfterManyChanges() throws IOException {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            for (int i = 0; i < 200; i++) {
                index.replace(Chunks.document("c", "d" + (i % 50)), Chunks.of("d" + (i % 50), "round " + i, "more text " + i));
                if (i % 40 == 0) {
                    index.commit();
                }
            }
            index.commit();
            assertEquals(100, index.chunkCount());
        }
        try (FSDirectory directory = FSDirectory.open(dir); CheckIndex check = new CheckIndex(directory)) {
            assertTrue(check.checkIndex().clean);
        }
    }
}
