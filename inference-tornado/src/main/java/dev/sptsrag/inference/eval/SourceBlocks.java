package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The {@code rag_records} layout: {@code "Sources:\n\n"} then numbered blocks
 * {@code [n] Staff directory n (staff-n.txt)\n} + 2–6 paragraphs, blocks separated by a blank line — the
 * shape of the service's RAG prompt. Block sizes are drawn once, so the partition of any paragraph count
 * is fixed while the context is fitted.
 */
final class SourceBlocks implements ContextLayout {
    static final int MIN_PARAGRAPHS = 2;
    static final int MAX_PARAGRAPHS = 6;

    private final PromptFormat format;
    private final int[] sizes;
    private final List<Integer> headerTokens = new ArrayList<>();
    private final int prefixTokens;

    SourceBlocks(PromptFormat format, SplittableRandom rnd, int maxParagraphs) {
        this.format = format;
        sizes = new int[maxParagraphs / MIN_PARAGRAPHS + 2];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = MIN_PARAGRAPHS + rnd.nextInt(MAX_PARAGRAPHS - MIN_PARAGRAPHS + 1);
        }
        prefixTokens = format.count("Sources:\n\n");
    }

    static String header(int n) {
        return "[" + n + "] Staff directory " + n + " (staff-" + n + ".txt)";
    }

    /**
     * Paragraphs per block for {@code paragraphs} paragraphs: the drawn sizes, the last block cut to what
     * is left; a remainder of one joins the block before it (or takes one from a full one).
     */
    int[] partition(int paragraphs) {
        List<Integer> blocks = new ArrayList<>();
        int left = paragraphs;
        for (int i = 0; left > 0; i++) {
            int s = Math.min(sizes[i % sizes.length], left);
            blocks.add(s);
            left -= s;
        }
        int last = blocks.size() - 1;
        if (last > 0 && blocks.get(last) < MIN_PARAGRAPHS) {
            int previous = blocks.get(last - 1);
            if (previous < MAX_PARAGRAPHS) {
                blocks.set(last - 1, previous + 1);
                blocks.remove(last);
            } else {
                blocks.set(last - 1, previous - 1);
                blocks.set(last, MIN_PARAGRAPHS);
            }
        }
        return blocks.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The 1-based block (citation number) holding paragraph {@code index} of {@code paragraphs}. */
    int blockOf(int index, int paragraphs) {
        int[] blocks = partition(paragraphs);
        int end = 0;
        for (int b = 0; b < blocks.length; b++) {
            end += blocks[b];
            if (index < end) {
                return b + 1;
            }
        }
        throw new IllegalArgumentException("paragraph " + index + " of " + paragraphs);
    }

    @Override
    public String render(List<String> paragraphs) {
        StringBuilder out = new StringBuilder("Sources:\n\n");
        int at = 0;
        int[] blocks = partition(paragraphs.size());
        for (int b = 0; b < blocks.length; b++) {
            if (b > 0) {
                out.append("\n\n");
            }
            out.append(header(b + 1)).append('\n');
            out.append(String.join("\n\n", paragraphs.subList(at, at + blocks[b])));
            at += blocks[b];
        }
        return out.toString();
    }

    @Override
    public int extraTokens(int paragraphs) {
        int[] blocks = partition(paragraphs);
        int total = prefixTokens;
        for (int b = 0; b < blocks.length; b++) {
            while (headerTokens.size() <= b) {
                headerTokens.add(format.count(header(headerTokens.size() + 1) + "\n"));
            }
            total += headerTokens.get(b);
        }
        return total;
    }
}
