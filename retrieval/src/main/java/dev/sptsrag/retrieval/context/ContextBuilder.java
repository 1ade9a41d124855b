package dev.sptsrag.retrieval.context;

import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.search.ChunkHit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Assembles retrieved chunks into one long context within a token budget.
 *
 * <ol>
 *   <li>Duplicates go first: a chunk seen before, or whose text (case and white space aside) is
 *       already in, is dropped.</li>
 *   <li>Chunks are taken best first while their estimated cost fits what is left of the budget; one
 *       that does not fit is left out and smaller ones after it may still fit. With
 *       {@link ContextOptions#mergeNeighbours()}, a chunk next to a taken one of its document joins that
 *       block and costs only the text it adds.</li>
 *   <li>The blocks are put in {@link ContextOrder}, numbered, labelled and joined, and the final text
 *       is counted. The estimate sums the tokens of parts, which a real tokenizer does not honour
 *       exactly, so while the count is over budget the worst-ranked chunks are dropped again.</li>
 * </ol>
 *
 * <p>A block reads {@code [n] Title — Section (source#anchor, p. 3–4)}, a line break, then its text.
 * Thread-safe if the {@link TokenCounter} is.
 */
public final class ContextBuilder {
    static final String BLOCK_SEPARATOR = "\n\n";

    private final TokenCounter counter;
    private final ContextOptions options;

    public ContextBuilder(TokenCounter counter, ContextOptions options) {
        this.counter = counter;
        this.options = options;
    }

    public ContextOptions options() {
        return options;
    }

    /** The context of {@code ranked} (best first, as a search returns them). */
    public AssembledContext build(List<ChunkHit> ranked) {
        List<Candidate> candidates = new ArrayList<>(ranked.size());
        Set<String> chunksSeen = new HashSet<>();
        Set<String> textsSeen = new HashSet<>();
        int duplicates = 0;
        for (ChunkHit hit : ranked) {
            Candidate c = new Candidate(candidates.size(), hit);
            if (!chunksSeen.add(c.documentKey + '#' + hit.chunk().ordinal()) || !textsSeen.add(normalized(hit.chunk().text()))) {
                duplicates++;
                continue;
            }
            candidates.add(c);
        }

        List<Candidate> taken = select(candidates);
        Set<Candidate> takenSet = Collections.newSetFromMap(new IdentityHashMap<>());
        takenSet.addAll(taken);
        List<Candidate> omitted = new ArrayList<>(candidates.stream().filter(c -> !takenSet.contains(c)).toList());
        while (true) {
            Rendering rendering = render(taken);
            int tokens = counter.count(rendering.text());
            if (tokens <= options.tokenBudget()) {
                long omittedTokens = omitted.stream().mapToLong(c -> c.hit.chunk().tokens()).sum();
                return new AssembledContext(rendering.text(), rendering.citations(), tokens, options.tokenBudget(),
                        omitted.size(), omittedTokens, duplicates);
            }
            // Over by a few tokens: give back the worst-ranked chunks until their estimate covers the excess.
            int excess = tokens - options.tokenBudget();
            taken.sort(Comparator.comparingInt(c -> c.rank));
            while (excess > 0 && !taken.isEmpty()) {
                Candidate worst = taken.removeLast();
                omitted.add(worst);
                excess -= Math.max(1, counter.count(worst.hit.chunk().text()));
            }
        }
    }

    /** A retrieved chunk with its rank (0 = best) and its document's key. */
    private static final class Candidate {
        final int rank;
        final ChunkHit hit;
        final String documentKey;

        Candidate(int rank, ChunkHit hit) {
            this.rank = rank;
            this.hit = hit;
            this.documentKey = hit.document().collection() + '\u0000' + hit.document().documentId();
        }

        int ordinal() {
            return hit.chunk().ordinal();
        }
    }

    /** Greedy, best first, on estimated costs. */
    private List<Candidate> select(List<Candidate> candidates) {
        Map<String, TreeMap<Integer, Candidate>> byDocument = new HashMap<>();
        List<Candidate> taken = new ArrayList<>();
        int separator = counter.count(BLOCK_SEPARATOR);
        long used = 0;
        int blocks = 0;
        for (Candidate c : candidates) {
            TreeMap<Integer, Candidate> document = byDocument.computeIfAbsent(c.documentKey, k -> new TreeMap<>());
            Candidate before = options.mergeNeighbours() ? document.get(c.ordinal() - 1) : null;
            Candidate after = options.mergeNeighbours() ? document.get(c.ordinal() + 1) : null;
            long cost;
            if (before != null || after != null) {
                cost = counter.count(newText(c.hit.chunk(), before, after)); // joins a block
            } else {
                Chunk chunk = c.hit.chunk();
                cost = counter.count(label(blocks + 1, c.hit.document(), chunk, chunk.firstPage(), chunk.lastPage()) + "\n")
                        + c.hit.chunk().tokens() + (blocks > 0 ? separator : 0);
            }
            if (used + cost > options.tokenBudget()) {
                continue;
            }
            used += cost;
            if (before == null && after == null) {
                blocks++;
            }
            document.put(c.ordinal(), c);
            taken.add(c);
        }
        return taken;
    }

    /** The part of {@code chunk}'s text that its taken neighbours do not already hold. */
    private static String newText(Chunk chunk, Candidate before, Candidate after) {
        int start = before == null ? chunk.startOffset() : Math.max(chunk.startOffset(), before.hit.chunk().endOffset());
        int end = after == null ? chunk.endOffset() : Math.min(chunk.endOffset(), after.hit.chunk().startOffset());
        return end <= start ? "" : chunk.text().substring(start - chunk.startOffset(), end - chunk.startOffset());
    }

    private record Rendering(String text, List<Citation> citations) {}

    /** A run of chunks of one document that the context shows as one labelled block. */
    private record Block(List<Candidate> chunks, int bestRank, float bestScore) {
        Candidate first() {
            return chunks.getFirst();
        }
    }

    private Rendering render(List<Candidate> taken) {
        Map<String, List<Candidate>> byDocument = new LinkedHashMap<>();
        taken.stream().sorted(Comparator.comparingInt(c -> c.rank))
                .forEach(c -> byDocument.computeIfAbsent(c.documentKey, k -> new ArrayList<>()).add(c));
        List<Block> blocks = new ArrayList<>();
        for (List<Candidate> document : byDocument.values()) { // documents in order of their best chunk
            document.sort(Comparator.comparingInt(Candidate::ordinal));
            List<Candidate> run = new ArrayList<>();
            for (Candidate c : document) {
                if (!run.isEmpty() && !(options.mergeNeighbours() && c.ordinal() == run.getLast().ordinal() + 1)) {
                    blocks.add(block(run));
                    run = new ArrayList<>();
                }
                run.add(c);
            }
            blocks.add(block(run));
        }
        if (options.order() == ContextOrder.RELEVANCE) {
            blocks.sort(Comparator.comparingInt(Block::bestRank));
        }

        StringBuilder text = new StringBuilder();
        List<Citation> citations = new ArrayList<>(blocks.size());
        for (Block block : blocks) {
            int label = citations.size() + 1;
            Chunk first = block.first().hit.chunk();
            Chunk last = block.chunks().getLast().hit.chunk();
            IndexedDocument document = block.first().hit.document();
            String rendered = label(label, document, first, first.firstPage(), last.lastPage()) + "\n" + mergedText(block);
            if (!text.isEmpty()) {
                text.append(BLOCK_SEPARATOR);
            }
            text.append(rendered);
            citations.add(new Citation(label, document.collection(), document.documentId(), document.title(),
                    document.source(), first.sectionPath(), first.anchor(), first.firstPage(), last.lastPage(),
                    first.startOffset(), last.endOffset(), first.ordinal(), last.ordinal(), block.bestScore(),
                    counter.count(rendered)));
        }
        return new Rendering(text.toString(), citations);
    }

    private static Block block(List<Candidate> run) {
        int bestRank = Integer.MAX_VALUE;
        float bestScore = Float.NEGATIVE_INFINITY;
        for (Candidate c : run) {
            bestRank = Math.min(bestRank, c.rank);
            bestScore = Math.max(bestScore, c.hit.score());
        }
        return new Block(List.copyOf(run), bestRank, bestScore);
    }

    /** Consecutive chunks' text with each overlap written once; chunks that only touch are joined by a paragraph break. */
    private static String mergedText(Block block) {
        StringBuilder out = new StringBuilder();
        int end = -1;
        for (Candidate c : block.chunks()) {
            Chunk chunk = c.hit.chunk();
            if (end < 0) {
                out.append(chunk.text());
            } else if (chunk.startOffset() < end) {
                out.append(chunk.text(), Math.min(end - chunk.startOffset(), chunk.text().length()), chunk.text().length());
            } else {
                // Chunks cover all of a document's text but white space, so what lies between two neighbours is
                // a space inside a paragraph or a paragraph break.
                out.append(chunk.startOffset() - end > 1 ? "\n\n" : " ").append(chunk.text());
            }
            end = Math.max(end, chunk.endOffset());
        }
        return out.toString();
    }

    /** {@code [n] Title — Section (source#anchor, p. 3–4)}, the section and anchor those of {@code chunk}. */
    static String label(int number, IndexedDocument document, Chunk chunk, int firstPage, int lastPage) {
        StringBuilder label = new StringBuilder().append('[').append(number).append("] ");
        String title = document.title().isBlank() ? document.documentId() : document.title();
        label.append(title);
        String section = chunk.section();
        if (section != null && !section.equals(title)) {
            label.append(" \u2014 ").append(section);
        }
        List<String> where = new ArrayList<>(2);
        if (!document.source().isBlank()) {
            where.add(chunk.anchor() == null ? document.source() : document.source() + '#' + chunk.anchor());
        }
        if (firstPage > 0) {
            where.add(firstPage == lastPage ? "p. " + firstPage : "pp. " + firstPage + "\u2013" + lastPage);
        }
        if (!where.isEmpty()) {
            label.append(" (").append(String.join(", ", where)).append(')');
        }
        return label.toString();
    }

    private static String normalized(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }
}
