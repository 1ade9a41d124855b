package dev.sptsrag.retrieval.chunk;

import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.ingest.Page;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.ingest.Section;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Cuts a {@link ParsedDocument} into chunks of at most {@link ChunkingOptions#maxTokens()} tokens.
 *
 * <p>A chunk never spans two sections: the text is first divided at every heading (a heading with no
 * text of its own before the next heading stays with that next one, so no chunk is a bare title).
 * Within a section the text is cut into sentences, and chunks are packed from whole sentences; when a
 * chunk is full it ends at the last paragraph end that keeps it at least half full, else at a
 * sentence end. A sentence longer than a chunk is cut between words, and a word longer than a chunk
 * between characters. The next chunk starts with the previous one's last sentences that fit in
 * {@link ChunkingOptions#overlapTokens()}.
 *
 * <p>Token counts are summed per sentence to plan a chunk, then the chunk's own text is counted,
 * because a real tokenizer is not exactly additive; a chunk over the limit loses its last sentence.
 *
 * <p>Thread-safe if the {@link TokenCounter} is.
 */
public final class Chunker {
    private final TokenCounter counter;
    private final ChunkingOptions options;

    public Chunker(TokenCounter counter, ChunkingOptions options) {
        this.counter = counter;
        this.options = options;
    }

    public ChunkingOptions options() {
        return options;
    }

    /** The document's chunks in order, numbered from 0. */
    public List<Chunk> chunk(String documentId, ParsedDocument document) {
        List<Chunk> chunks = new ArrayList<>();
        String text = document.text();
        for (Region region : regions(document)) {
            pack(documentId, document, region, units(text, region.start(), region.end()), chunks);
        }
        return chunks;
    }

    /** A sentence (or a piece of an over-long one): its span, tokens and whether a paragraph starts at it. */
    private record Unit(int start, int end, int tokens, boolean paragraphStart) {}

    /**
     * A stretch of text chunked on its own: one section's text, or a run of headings without text of
     * their own plus the section that follows them. Its chunks are labelled with the sections around
     * {@code labelOffset} (the last heading of such a run) or their own start, whichever is later.
     */
    private record Region(int start, int end, int labelOffset) {}

    private static List<Region> regions(ParsedDocument document) {
        String text = document.text();
        TreeSet<Integer> starts = new TreeSet<>();
        for (Section s : document.sections()) {
            starts.add(s.start());
        }
        starts.add(text.length());
        List<Region> regions = new ArrayList<>();
        int regionStart = 0;
        int labelOffset = 0;
        boolean regionIsSection = starts.contains(0); // else it is the text before the first heading
        for (int start : starts.tailSet(1)) {
            boolean onlyHeadings = regionIsSection && start < text.length()
                    && text.substring(labelOffset, start).strip().indexOf("\n\n") < 0;
            if (onlyHeadings) { // the heading has no text of its own: it joins the next section
                labelOffset = start;
                continue;
            }
            if (hasText(text, regionStart, start)) {
                regions.add(new Region(regionStart, start, labelOffset));
            }
            regionStart = start;
            labelOffset = start;
            regionIsSection = true;
        }
        return regions;
    }

    private static boolean hasText(String text, int from, int to) {
        return !text.substring(from, to).isBlank();
    }

    /** The sentences of {@code [from, to)}; over-long ones are split until each fits a chunk. */
    private List<Unit> units(String text, int from, int to) {
        List<Unit> units = new ArrayList<>();
        BreakIterator sentences = BreakIterator.getSentenceInstance(options.locale());
        int paragraphStart = from;
        while (paragraphStart < to) {
            int paragraphEnd = text.indexOf("\n\n", paragraphStart);
            if (paragraphEnd < 0 || paragraphEnd > to) {
                paragraphEnd = to;
            }
            boolean first = true;
            String paragraph = text.substring(paragraphStart, paragraphEnd);
            sentences.setText(paragraph);
            for (int s = sentences.first(), e = sentences.next(); e != BreakIterator.DONE; s = e, e = sentences.next()) {
                int start = paragraphStart + s;
                int end = paragraphStart + e;
                while (start < end && Character.isWhitespace(text.charAt(start))) {
                    start++;
                }
                while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
                    end--;
                }
                if (start < end) {
                    addFitting(text, start, end, first, units);
                    first = false;
                }
            }
            paragraphStart = paragraphEnd + 2;
        }
        return units;
    }

    /** Adds {@code [start, end)} as one unit, or as pieces cut between words (or characters) that fit. */
    private void addFitting(String text, int start, int end, boolean paragraphStart, List<Unit> units) {
        int tokens = counter.count(text.substring(start, end));
        if (tokens <= options.maxTokens()) {
            units.add(new Unit(start, end, tokens, paragraphStart));
            return;
        }
        int pieceStart = start;
        boolean first = paragraphStart;
        while (pieceStart < end) {
            int pieceEnd = longestFittingPrefix(text, pieceStart, end);
            units.add(new Unit(pieceStart, pieceEnd, counter.count(text.substring(pieceStart, pieceEnd)), first));
            first = false;
            pieceStart = pieceEnd;
            while (pieceStart < end && Character.isWhitespace(text.charAt(pieceStart))) {
                pieceStart++;
            }
        }
    }

    /** The end of the longest prefix of {@code [start, end)} within the limit, cut after a word if possible. */
    private int longestFittingPrefix(String text, int start, int end) {
        int low = start + 1; // one character always fits (maxTokens >= 8)
        int high = end;
        // Gallop first, so that a huge run without sentence ends costs O(piece), not O(run), per piece.
        for (int probe = Math.min(high, start + 4 * options.maxTokens()); probe < high; ) {
            if (counter.count(text.substring(start, probe)) > options.maxTokens()) {
                high = probe - 1;
                break;
            }
            low = probe;
            probe = Math.min(high, start + 2 * (probe - start));
        }
        while (low < high) { // binary search on the prefix length; counts grow with length
            int mid = (low + high + 1) >>> 1;
            if (counter.count(text.substring(start, mid)) <= options.maxTokens()) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        int fits = low;
        for (int i = fits; i > start + (fits - start) / 2; i--) {
            if (Character.isWhitespace(text.charAt(i - 1))) {
                return i - 1 > start ? trimEnd(text, start, i - 1) : fits;
            }
        }
        return fits;
    }

    private static int trimEnd(String text, int start, int end) {
        while (end > start + 1 && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        return end;
    }

    /** Packs a section's units into chunks, appending them to {@code chunks}. */
    private void pack(String documentId, ParsedDocument document, Region region, List<Unit> units, List<Chunk> chunks) {
        int max = options.maxTokens();
        int first = 0;
        while (first < units.size()) {
            int end = first; // exclusive
            int planned = 0;
            while (end < units.size() && planned + units.get(end).tokens() <= max) {
                planned += units.get(end).tokens();
                end++;
            }
            end = Math.max(end, first + 1);
            if (end < units.size()) {
                end = paragraphEnd(units, first, end);
            }
            String text = document.text().substring(units.get(first).start(), units.get(end - 1).end());
            int tokens = counter.count(text);
            while (tokens > max && end > first + 1) { // the tokenizer merged across a sentence edge
                end--;
                text = document.text().substring(units.get(first).start(), units.get(end - 1).end());
                tokens = counter.count(text);
            }
            int start = units.get(first).start();
            chunks.add(chunk(documentId, document, chunks.size(), start, units.get(end - 1).end(),
                    Math.max(start, region.labelOffset()), text, tokens));
            if (end == units.size()) {
                break;
            }
            first = overlapStart(units, first, end);
        }
    }

    /** The last paragraph start in {@code (first, end]} that keeps the chunk at least half full, else {@code end}. */
    private int paragraphEnd(List<Unit> units, int first, int end) {
        int tokens = 0;
        int best = end;
        int half = options.maxTokens() / 2;
        for (int i = first; i < end; i++) {
            tokens += units.get(i).tokens();
            if (tokens >= half && units.get(i + 1).paragraphStart()) { // a cut after unit i ends a paragraph
                best = i + 1;
            }
        }
        return best;
    }

    /** Where the next chunk starts: its predecessor's last sentences within the overlap, always past {@code first}. */
    private int overlapStart(List<Unit> units, int first, int end) {
        int start = end;
        int tokens = 0;
        while (start - 1 > first && tokens + units.get(start - 1).tokens() <= options.overlapTokens()) {
            start--;
            tokens += units.get(start).tokens();
        }
        return start;
    }

    private static Chunk chunk(String documentId, ParsedDocument document, int ordinal, int start, int end,
                               int labelOffset, String text, int tokens) {
        List<Section> path = document.sectionPath(labelOffset);
        List<String> titles = path.stream().map(Section::title).toList();
        String anchor = path.isEmpty() ? null : path.getLast().anchor();
        int firstPage = document.pageAt(start).map(Page::number).orElse(0);
        int lastPage = document.pageAt(Math.max(start, end - 1)).map(Page::number).orElse(0);
        return new Chunk(documentId, ordinal, text, start, end, titles, anchor, firstPage, lastPage, tokens);
    }
}
