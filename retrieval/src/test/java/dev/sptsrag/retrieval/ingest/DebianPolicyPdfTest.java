package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.testing.PolicyCorpus;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real, LaTeX-made PDF of 192 pages: the Debian Policy Manual as the debian-policy package ships it. */
class DebianPolicyPdfTest {

    @Test
    void theManualParsesWithItsPagesAndBookmarks() throws IOException {
        ParsedDocument pdf;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(PolicyCorpus.pdfGz()))) {
            pdf = new DocumentLoader().load("policy.pdf", in, null);
        }
        assertEquals(DocumentFormat.PDF, pdf.format());
        assertEquals("Debian Policy Manual", pdf.title());
        assertTrue(pdf.pages().size() > 150, pdf.pages().size() + " pages");
        assertTrue(pdf.sections().size() > 300, pdf.sections().size() + " bookmarks");
        assertTrue(pdf.text().contains("#!/usr/bin/make -f"));

        Section rules = pdf.sections().stream().filter(s -> s.title().startsWith("Main building script")).findFirst().orElseThrow();
        assertTrue(pdf.text().startsWith("Main building script", rules.start()), "the bookmark lands on its heading");
        int page = pdf.pageAt(rules.start()).orElseThrow().number();
        assertTrue(page > 20 && page < 60, "chapter 4 is early in the manual, got page " + page);

        List<Chunk> chunks = new Chunker(new ApproximateTokenCounter(), ChunkingOptions.defaults()).chunk("policy.pdf", pdf);
        assertTrue(chunks.stream().allMatch(c -> c.firstPage() >= 1 && c.lastPage() >= c.firstPage()));
        assertEquals(pdf.pages().getLast().number(), chunks.getLast().lastPage());
    }
}
