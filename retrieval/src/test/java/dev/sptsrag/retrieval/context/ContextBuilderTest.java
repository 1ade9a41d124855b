package dev.sptsrag.retrieval.context;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.testing.Documents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContextBuilderTest {
    private static final TokenCounter COUNTER = new ApproximateTokenCounter();
    /** Charges extra for every line break, so the sum of a context's parts underestimates the whole. */
    private static final TokenCounter NON_ADDITIVE = text -> COUNTER.count(text) + 3 * (int) text.chars().filter(c -> c == '\n').count();

    private static final ParsedDocument MANUAL = Documents.markdown("manual.md", Documents.randomMarkdown(new Random(11), 40));
    private static final IndexedDocument MANUAL_DOC = new IndexedDocument("docs", "manual", "Pump Manual", "manual.md", Map.of());
    private static final List<Chunk> MANUAL_CHUNKS = new Chunker(COUNTER, new ChunkingOptions(120, 20)).chunk("manual", MANUAL);

    private static ChunkHit hit(int ordinal, float score) {
        return new ChunkHit(MANUAL_DOC, MANUAL_CHUNKS.get(ordinal), score);
    }

    /** Hits for the given ordinals, scored in the order given (first is best). */
    private static List<ChunkHit> ranked(int... ordinals) {
        List<ChunkHit> hits = new ArrayList<>();
        for (int i = 0; i < ordinals.length; i++) {
            hits.add(hit(ordinals[i], 100f - i));
        }
        return hits;
    }

    @ParameterizedTest(name = "budget {0}")
    @ValueSource(ints = {1, 50, 200, 1_000, 8_192, 32_768, 131_072})
    void neverExceedsTheBudgetWhateverTheCounterAndOptions(int budget) {
        Random random = new Random(budget);
        for (TokenCounter counter : List.of(COUNTER, NON_ADDITIVE)) {
            for (ContextOrder order : ContextOrder.values()) {
                for (boolean merge : new boolean[] {true, false}) {
                    List<ChunkHit> hits = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        hits.add(hit(random.nextInt(MANUAL_CHUNKS.size()), 300 - i));
                    }
                    AssembledContext context = new ContextBuilder(counter, new ContextOptions(budget, order, merge)).build(hits);
                    assertEquals(counter.count(context.text()), context.tokensUsed());
                    assertTrue(context.tokensUsed() <= budget, context.tokensUsed() + " > " + budget);
                    int distinct = (int) hits.stream().map(h -> h.chunk().ordinal()).distinct().count();
                    assertEquals(hits.size() - distinct, context.duplicatesDropped());
                    int included = context.citations().stream().mapToInt(c -> c.lastOrdinal() - c.firstOrdinal() + 1).sum();
                    assertEquals(distinct, included + context.omittedChunks(), "every distinct chunk is in or counted out");
                }
            }
        }
    }

    @Test
    void bestChunksGoInFirstAndTheRestIsReportedAsLeftOut() {
        List<ChunkHit> hits = ranked(10, 20, 30, 40);
        ContextBuilder probe = new ContextBuilder(COUNTER, ContextOptions.ofBudget(1_000_000));
        int twoBlocks = probe.build(hits.subList(0, 2)).tokensUsed();
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(twoBlocks)).build(hits);
        assertEquals(List.of(10, 20), context.citations().stream().map(Citation::firstOrdinal).toList());
        assertEquals(2, context.omittedChunks());
        assertEquals(MANUAL_CHUNKS.get(30).tokens() + MANUAL_CHUNKS.get(40).tokens(), context.omittedTokens());
        assertEquals(twoBlocks, context.tokensUsed());
    }

    @Test
    void aChunkThatDoesNotFitIsSkippedForSmallerOnesAfterIt() {
        Chunk big = MANUAL_CHUNKS.stream().max((a, b) -> Integer.compare(a.tokens(), b.tokens())).orElseThrow();
        Chunk small = MANUAL_CHUNKS.stream().min((a, b) -> Integer.compare(a.tokens(), b.tokens())).orElseThrow();
        int budget = big.tokens(); // the label pushes the big one over
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(budget))
                .build(List.of(new ChunkHit(MANUAL_DOC, big, 2), new ChunkHit(MANUAL_DOC, small, 1)));
        assertEquals(List.of(small.ordinal()), context.citations().stream().map(Citation::firstOrdinal).toList());
        assertEquals(1, context.omittedChunks());
    }

    @Test
    void neighboursOfADocumentBecomeOneBlockWithTheOverlapWrittenOnce() {
        int a = firstOverlappingPair();
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000)).build(ranked(a + 1, a));
        assertEquals(1, context.citations().size());
        Citation block = context.citations().getFirst();
        assertEquals(a, block.firstOrdinal());
        assertEquals(a + 1, block.lastOrdinal());
        String expected = MANUAL.text().substring(MANUAL_CHUNKS.get(a).startOffset(), MANUAL_CHUNKS.get(a + 1).endOffset());
        assertEquals(ContextBuilder.label(1, MANUAL_DOC, MANUAL_CHUNKS.get(a), 0, 0) + "\n" + expected, context.text());
        assertEquals(100f, block.score());

        AssembledContext separate = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000).withMergeNeighbours(false))
                .build(ranked(a + 1, a));
        assertEquals(2, separate.citations().size());
    }

    @Test
    void aChunkBetweenTwoBlocksJoinsThemIntoOne() {
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000)).build(ranked(5, 7, 6));
        assertEquals(1, context.citations().size());
        assertEquals(5, context.citations().getFirst().firstOrdinal());
        assertEquals(7, context.citations().getFirst().lastOrdinal());
        String expected = MANUAL.text().substring(MANUAL_CHUNKS.get(5).startOffset(), MANUAL_CHUNKS.get(7).endOffset());
        assertTrue(context.text().endsWith("\n" + expected), context.text());
    }

    @Test
    void duplicatesAreDropped() {
        Chunk chunk = MANUAL_CHUNKS.get(3);
        IndexedDocument copy = new IndexedDocument("docs", "manual-copy", "Copy", "copy.md", Map.of());
        Chunk sameText = new Chunk("manual-copy", 0, "  " + chunk.text().toUpperCase() + " ", 0, chunk.text().length() + 3,
                List.of(), null, 0, 0, chunk.tokens());
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000)).build(List.of(
                new ChunkHit(MANUAL_DOC, chunk, 3), new ChunkHit(MANUAL_DOC, chunk, 3), new ChunkHit(copy, sameText, 2)));
        assertEquals(1, context.citations().size());
        assertEquals(2, context.duplicatesDropped());
        assertEquals(0, context.omittedChunks());
    }

    @Test
    void documentOrderGroupsByDocumentInReadingOrderAndRelevanceOrderFollowsTheScores() {
        IndexedDocument other = new IndexedDocument("docs", "ferry", "Ferry", "ferry.txt", Map.of());
        Chunk ferry = new Chunk("ferry", 0, "The ferry leaves at nine.", 0, 25, List.of(), null, 0, 0, 6);
        List<ChunkHit> hits = List.of(hit(30, 9), new ChunkHit(other, ferry, 8), hit(2, 7), hit(20, 6));

        AssembledContext byDocument = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000)).build(hits);
        assertEquals(List.of("manual#2", "manual#20", "manual#30", "ferry#0"), blocks(byDocument));
        assertEquals(List.of(1, 2, 3, 4), byDocument.citations().stream().map(Citation::label).toList());

        AssembledContext byRelevance = new ContextBuilder(COUNTER, ContextOptions.ofBudget(100_000).withOrder(ContextOrder.RELEVANCE))
                .build(hits);
        assertEquals(List.of("manual#30", "ferry#0", "manual#2", "manual#20"), blocks(byRelevance));
    }

    private static List<String> blocks(AssembledContext context) {
        return context.citations().stream().map(c -> c.documentId() + "#" + c.firstOrdinal()).toList();
    }

    @Test
    void blocksAreLabelledForCitation() {
        Chunk onPages = new Chunk("spec", 4, "Gates open at 1.5 m.", 100, 120, List.of("2 Operation", "2.1 Gates"), "gates", 3, 4, 8);
        IndexedDocument spec = new IndexedDocument("docs", "spec", "Station Spec", "spec.pdf", Map.of());
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(1000)).build(List.of(new ChunkHit(spec, onPages, 5)));
        assertEquals("[1] Station Spec \u2014 2.1 Gates (spec.pdf#gates, pp. 3\u20134)\nGates open at 1.5 m.", context.text());
        Citation c = context.citations().getFirst();
        assertEquals(List.of("2 Operation", "2.1 Gates"), c.sectionPath());
        assertEquals("2.1 Gates", c.section());
        assertEquals("spec.pdf", c.source());
        assertEquals(3, c.firstPage());
        assertEquals(4, c.lastPage());
        assertEquals(100, c.startOffset());
        assertEquals(120, c.endOffset());
        assertEquals(COUNTER.count(context.text()), c.tokens());

        Chunk plain = new Chunk("n", 0, "Just text.", 0, 10, List.of(), null, 0, 0, 3);
        String label = ContextBuilder.label(7, new IndexedDocument("c", "n", "", "", Map.of()), plain, 0, 0);
        assertEquals("[7] n", label, "no title: the id; no source, section or pages: nothing more");
    }

    @Test
    void longContextsFillMostOfTheirBudget() {
        List<ChunkHit> all = new ArrayList<>();
        for (int i = 0; i < MANUAL_CHUNKS.size(); i++) {
            all.add(hit(i, i));
        }
        Collections.shuffle(all, new Random(5));
        int total = MANUAL_CHUNKS.stream().mapToInt(Chunk::tokens).sum();
        int budget = total / 2;
        AssembledContext context = new ContextBuilder(COUNTER, ContextOptions.ofBudget(budget)).build(all);
        assertTrue(context.tokensUsed() > budget * 0.9, context.tokensUsed() + " of " + budget);
        assertTrue(context.omittedChunks() > 0);
        assertFalse(context.isEmpty());
    }

    private static int firstOverlappingPair() {
        for (int i = 0; i + 1 < MANUAL_CHUNKS.size(); i++) {
            if (MANUAL_CHUNKS.get(i + 1).startOffset() < MANUAL_CHUNKS.get(i).endOffset()) {
                return i;
            }
        }
        throw new AssertionError("no overlapping chunks in the test document");
    }
}
