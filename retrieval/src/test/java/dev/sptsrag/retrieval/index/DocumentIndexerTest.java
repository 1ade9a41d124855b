package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.ingest.DocumentParseException;
import dev.sptsrag.retrieval.ingest.DocumentTooLargeException;
import dev.sptsrag.retrieval.ingest.IngestOptions;
import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DocumentIndexerTest {
    @TempDir
    Path dir;

    private DocumentIndexer indexer(LuceneChunkIndex index, IngestOptions options) {
        return new DocumentIndexer(new DocumentLoader(options),
                new Chunker(new ApproximateTokenCounter(), new ChunkingOptions(60, 10)), index);
    }

    @Test
    void eachFormatIsSearchableAfterIngestWithItsCitationData() throws IOException {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir.resolve("index")))) {
            DocumentIndexer indexer = indexer(index, IngestOptions.defaults());
            for (String file : List.of("notes.txt", "guide.md", "article.html", "three-pages.pdf")) {
                IngestReceipt receipt = indexer.ingest("docs", file, TestFiles.resource(file), Map.of("team", "ops"));
                assertTrue(receipt.durable() && receipt.chunks() > 0, receipt.toString());
            }
            LuceneRetriever retriever = new LuceneRetriever(index);
            ChunkHit pdf = retriever.search(new SearchRequest("pressure sensor E42", 1)).hits().getFirst();
            assertEquals("three-pages.pdf", pdf.document().documentId());
            assertEquals("Harbour Pump Controller Manual", pdf.document().title());
            assertEquals(3, pdf.chunk().firstPage());
            assertEquals(Map.of("team", "ops", "format", "pdf", "author", "spts-rag tests"), pdf.document().metadata());

            ChunkHit html = retriever.search(new SearchRequest("sluice gate width", 1)).hits().getFirst();
            assertEquals("sluice-gates", html.chunk().anchor());
            assertEquals(List.of("Tidal Power Station Handbook", "Turbines", "Sluice gates"), html.chunk().sectionPath());

            ChunkHit markdown = retriever.search(new SearchRequest("paraffin tank", 1)).hits().getFirst();
            assertEquals("Lamp maintenance", markdown.chunk().section());
            assertEquals(index.chunkCount(), retriever.count(SearchFilter.NONE.withMetadata("team", "ops")));
            assertEquals(1, retriever.search(new SearchRequest("paraffin", 10, SearchFilter.NONE.withMetadata("format", "markdown")))
                    .hits().size());
        }
    }

    @Test
    void aFailingDocumentLeavesNothingBehindAndOthersAreUnaffected() throws IOException {
        byte[] pdf = TestFiles.bytes("three-pages.pdf");
        Path broken = Files.write(dir.resolve("broken.pdf"), Arrays.copyOf(pdf, pdf.length / 3));
        Path big = Files.write(dir.resolve("big.txt"), "many words here. ".repeat(200).getBytes());
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir.resolve("index")))) {
            DocumentIndexer indexer = indexer(index, IngestOptions.defaults().withMaxBytes(2000));
            indexer.ingest("c", "good", TestFiles.resource("notes.txt"), Map.of());
            assertThrows(DocumentParseException.class, () -> indexer.ingest("c", "broken", broken, Map.of()));
            assertThrows(DocumentTooLargeException.class, () -> indexer.ingest("c", "big", big, Map.of()));
            // A failed re-ingest of an existing id keeps the old version.
            assertThrows(DocumentParseException.class, () -> indexer.ingest("c", "good", broken, Map.of()));
            index.commit();
            LuceneRetriever retriever = new LuceneRetriever(index);
            assertEquals(0, retriever.count(SearchFilter.NONE.withDocumentIds(Set.of("broken", "big"))));
            assertEquals(index.chunkCount(), retriever.count(SearchFilter.NONE.withDocumentIds(Set.of("good"))));
            assertTrue(index.chunkCount() > 0);
        }
    }

    @Test
    void reIngestingAnIdReplacesTheDocument() throws IOException {
        Path file = dir.resolve("faq.md");
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir.resolve("index")))) {
            DocumentIndexer indexer = indexer(index, IngestOptions.defaults());
            LuceneRetriever retriever = new LuceneRetriever(index);
            Files.writeString(file, "# FAQ\n\nThe canteen opens at eight.");
            indexer.ingest("c", "faq", file, Map.of());
            Files.writeString(file, "# FAQ\n\nThe canteen opens at nine.");
            indexer.ingest("c", "faq", file, Map.of());
            List<ChunkHit> hits = retriever.search(new SearchRequest("canteen", 10)).hits();
            assertEquals(1, hits.size());
            assertTrue(hits.getFirst().chunk().text().contains("nine"));
        }
    }
}
