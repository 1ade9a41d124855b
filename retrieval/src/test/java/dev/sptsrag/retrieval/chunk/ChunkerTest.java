package dev.sptsrag.retrieval.chunk;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.ingest.Section;
import dev.sptsrag.retrieval.testing.Documents;
import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkerTest {
    private static final TokenCounter APPROXIMATE = new ApproximateTokenCounter();
    /** Not additive: a text costs one more token per sentence end it contains, like merges across a boundary. */
    private static final TokenCounter NON_ADDITIVE = text -> APPROXIMATE.count(text) + (int) text.chars().filter(c -> c == '.').count();

    @ParameterizedTest(name = "max {0}, overlap {1}, non-additive {2}")
    @CsvSource({"32, 0, false", "64, 16, false", "128, 32, true", "384, 48, false", "384, 48, true", "1000, 100, false"})
    void chunksRespectTheLimitCoverTheTextAndStayInTheirSection(int max, int overlap, boolean nonAdditive) {
        TokenCounter counter = nonAdditive ? NON_ADDITIVE : APPROXIMATE;
        Chunker chunker = new Chunker(counter, new ChunkingOptions(max, overlap));
        Random random = new Random(max * 31L + overlap);
        for (int round = 0; round < 20; round++) {
            ParsedDocument doc = Documents.markdown("r" + round + ".md", Documents.randomMarkdown(random, 1 + random.nextInt(6)));
            List<Chunk> chunks = chunker.chunk("doc-" + round, doc);
            assertFalse(chunks.isEmpty());
            boolean[] covered = new boolean[doc.text().length()];
            for (int i = 0; i < chunks.size(); i++) {
                Chunk c = chunks.get(i);
                assertEquals(i, c.ordinal());
                assertEquals("doc-" + round, c.documentId());
                assertEquals(doc.text().substring(c.startOffset(), c.endOffset()), c.text());
                assertEquals(counter.count(c.text()), c.tokens(), "tokens are the chunk's own count");
                assertTrue(c.tokens() <= max, "chunk " + i + " has " + c.tokens() + " > " + max);
                assertEquals(c.text().strip(), c.text(), "no white space at the edges");
                for (Section s : doc.sections()) {
                    assertFalse(s.start() > c.startOffset() && s.start() < c.endOffset()
                                    && !onlyHeadings(doc, c.startOffset(), s.start()),
                            "chunk " + i + " crosses into section " + s.title());
                }
                if (i > 0) {
                    assertTrue(c.startOffset() > chunks.get(i - 1).startOffset(), "chunks advance");
                }
                for (int k = c.startOffset(); k < c.endOffset(); k++) {
                    covered[k] = true;
                }
            }
            for (int k = 0; k < covered.length; k++) {
                assertTrue(covered[k] || Character.isWhitespace(doc.text().charAt(k)), "character " + k + " is in no chunk");
            }
        }
    }

    /** Whether {@code [from, to)} holds nothing but headings (which join the section after them). */
    private static boolean onlyHeadings(ParsedDocument doc, int from, int to) {
        int at = from;
        while (at < to) {
            int here = at;
            Section heading = doc.sections().stream().filter(s -> s.start() == here).findFirst().orElse(null);
            if (heading == null) {
                return false;
            }
            at += heading.title().length() + 2;
        }
        return true;
    }

    @Test
    void consecutiveChunksOverlapByWholeSentencesWithinTheOverlapBudget() {
        Random random = new Random(7);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append(Documents.sentence(random, 5 + random.nextInt(10))).append(' ');
        }
        ParsedDocument doc = Documents.plain("one-paragraph.txt", text.toString().strip());
        List<Chunk> chunks = new Chunker(APPROXIMATE, new ChunkingOptions(100, 30)).chunk("d", doc);
        assertTrue(chunks.size() > 10);
        for (int i = 1; i < chunks.size(); i++) {
            Chunk previous = chunks.get(i - 1);
            Chunk next = chunks.get(i);
            assertTrue(next.startOffset() < previous.endOffset(), "chunk " + i + " overlaps its predecessor");
            String shared = doc.text().substring(next.startOffset(), previous.endOffset());
            assertTrue(APPROXIMATE.count(shared) <= 30, "overlap of " + APPROXIMATE.count(shared) + " tokens");
            assertTrue(Character.isUpperCase(shared.charAt(0)) && shared.endsWith("."), "whole sentences: " + shared);
        }
    }

    @Test
    void aFullChunkEndsAtAParagraphEndWhenThatKeepsItHalfFull() {
        String paragraph = "One two three four five six seven eight nine ten. Eleven twelve thirteen fourteen fifteen.";
        String text = String.join("\n\n", paragraph, paragraph, paragraph, paragraph, paragraph, paragraph);
        ParsedDocument doc = Documents.plain("p.txt", text);
        int perParagraph = APPROXIMATE.count(paragraph);
        // Room for 2.5 paragraphs: the cut falls after the second, not inside the third.
        List<Chunk> chunks = new Chunker(APPROXIMATE, new ChunkingOptions(perParagraph * 5 / 2, 0)).chunk("d", doc);
        for (Chunk c : chunks) {
            assertTrue(c.text().endsWith("fifteen."), "ends at a paragraph end: ..." + c.text().substring(c.text().length() - 20));
        }
        assertEquals(3, chunks.size());
    }

    @Test
    void sentencesAndWordsLongerThanAChunkAreCut() {
        Random random = new Random(3);
        String longSentence = Documents.sentence(random, 2000);
        String longWord = "x".repeat(5000);
        ParsedDocument doc = Documents.plain("long.txt", longSentence + "\n\n" + longWord);
        List<Chunk> chunks = new Chunker(APPROXIMATE, new ChunkingOptions(50, 10)).chunk("d", doc);
        for (Chunk c : chunks) {
            assertTrue(c.tokens() <= 50 && c.tokens() > 0, c.tokens() + " tokens");
        }
        long wordPieces = chunks.stream().filter(c -> c.text().startsWith("x")).count();
        assertEquals(((5000 + 6) / 7 + 49) / 50, wordPieces, "the word is cut into full chunks");
        for (Chunk c : chunks) {
            if (!c.text().startsWith("x")) {
                assertFalse(c.text().contains("xx"), "the sentence and the word are in different paragraphs");
                int end = c.endOffset();
                assertTrue(end == longSentence.length() || doc.text().charAt(end) == ' ', "cut between words at " + end);
            }
        }
    }

    @Test
    void aHeadingWithoutTextOfItsOwnJoinsTheNextSection() {
        ParsedDocument doc = Documents.markdown("h.md", "# Manual\n\n## Pumps\n\n### Valves\n\nValves open at dawn.\n\n"
                + "### Gauges\n\nGauges read in bar.");
        List<Chunk> chunks = new Chunker(APPROXIMATE, ChunkingOptions.defaults()).chunk("d", doc);
        assertEquals(2, chunks.size());
        assertEquals("Manual\n\nPumps\n\nValves\n\nValves open at dawn.", chunks.get(0).text());
        assertEquals(List.of("Manual", "Pumps", "Valves"), chunks.get(0).sectionPath(), "labelled by the section with the text");
        assertEquals("valves", chunks.get(0).anchor());
        assertEquals("Gauges\n\nGauges read in bar.", chunks.get(1).text());
        assertEquals("Gauges", chunks.get(1).section());
    }

    @Test
    void chunksOfAPdfKnowTheirPages() throws IOException {
        ParsedDocument pdf = new DocumentLoader().load(TestFiles.resource("three-pages.pdf"));
        List<Chunk> chunks = new Chunker(APPROXIMATE, new ChunkingOptions(40, 0)).chunk("pdf", pdf);
        for (Chunk c : chunks) {
            int page = pdf.pageAt(c.startOffset()).orElseThrow().number();
            assertEquals(page, c.firstPage());
            assertEquals(page, c.lastPage(), "sections here are pages, so no chunk spans two");
            assertEquals(c.section().charAt(0) - '0', page);
        }
        assertEquals(3, chunks.getLast().firstPage());
    }

    @Test
    void optionsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(100, 60));
        assertThrows(IllegalArgumentException.class, () -> new ChunkingOptions(100, -1));
    }
}
