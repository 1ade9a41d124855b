package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fills a context with held-out filler paragraphs around inserted items until the prompt reaches its
 * target length (docs/tasks.md): filler is taken consecutively from a random start in the pool (wrapping
 * around); each group of items goes to uniformly random paragraph gaps, in increasing depth within the
 * group; paragraphs are added while the next one still fits. Each filler paragraph is tokenized once per
 * model; the plan is checked against the real token count of the whole prompt and corrected, so the
 * prompt never exceeds its target and is within one paragraph of it.
 */
final class Haystack {
    private static final int MAX_CORRECTIONS = 64;

    private final FillerCorpus corpus;
    private final PromptFormat format;
    private final int[] fillerTokens;
    private final int separatorTokens;

    Haystack(FillerCorpus corpus, PromptFormat format) {
        this.corpus = corpus;
        this.format = format;
        this.fillerTokens = new int[corpus.size()];
        Arrays.fill(fillerTokens, -1);
        this.separatorTokens = format.count("\n\n");
    }

    PromptFormat format() { return format; }

    /**
     * A fitted context.
     *
     * @param sample        the skeleton with its context filled in
     * @param paragraphs    the context's paragraphs in order
     * @param itemParagraph per group, per item: the index of its paragraph
     * @param promptTokens  the prompt's real token count (≤ the target)
     */
    record Fitted(TaskSample sample, List<String> paragraphs, int[][] itemParagraph, int promptTokens) {
    }

    /**
     * Fits {@code groups} of items and filler into {@code skeleton}'s context (its {@code length} is the
     * target; its answers may be placeholders).
     *
     * @throws IllegalArgumentException when the items and the question alone exceed the target
     */
    Fitted fit(TaskSample skeleton, List<List<String>> groups, ContextLayout layout, SplittableRandom rnd) {
        int target = skeleton.length();
        int start = rnd.nextInt(corpus.size());
        long placementSeed = rnd.nextLong();
        int items = 0;
        long itemTokens = 0;
        for (List<String> g : groups) {
            for (String item : g) {
                itemTokens += format.count(item);
                items++;
            }
        }
        long base = format.tokens(skeleton.withContext("")).length + itemTokens;
        // The largest filler count whose planned prompt fits.
        int filler = 0;
        long fillerSum = 0;
        while (true) {
            long next = fillerSum + fillerTokens(start + filler);
            if (planned(base, next, filler + 1 + items, layout) > target) {
                break;
            }
            fillerSum = next;
            filler++;
        }
        boolean shrunk = false;
        for (int attempt = 0; ; attempt++) {
            Fitted f = arrange(skeleton, groups, layout, start, filler, placementSeed);
            if (f.promptTokens > target) {
                if (filler == 0) {
                    throw new IllegalArgumentException("length " + target + " is too short for task " + skeleton.task()
                            + ": its items and question alone take " + f.promptTokens + " tokens");
                }
                filler--;
                shrunk = true;
            } else if (!shrunk && attempt < MAX_CORRECTIONS
                    && f.promptTokens + fillerTokens(start + filler) + separatorTokens <= target) {
                filler++; // the plan was pessimistic: the real count leaves room for another paragraph
            } else {
                return f;
            }
        }
    }

    private long planned(long base, long fillerSum, int paragraphs, ContextLayout layout) {
        return base + fillerSum + (long) Math.max(0, paragraphs - 1) * separatorTokens + layout.extraTokens(paragraphs);
    }

    private int fillerTokens(int index) {
        int i = index % corpus.size();
        if (fillerTokens[i] < 0) {
            fillerTokens[i] = format.count(corpus.paragraph(i));
        }
        return fillerTokens[i];
    }

    /** Places every group at random gaps between {@code filler} paragraphs (the same gaps for the same seed). */
    private Fitted arrange(TaskSample skeleton, List<List<String>> groups, ContextLayout layout, int start, int filler,
                           long placementSeed) {
        SplittableRandom rnd = new SplittableRandom(placementSeed);
        int[][] gaps = new int[groups.size()][];
        for (int g = 0; g < groups.size(); g++) {
            gaps[g] = new int[groups.get(g).size()];
            for (int j = 0; j < gaps[g].length; j++) {
                gaps[g][j] = rnd.nextInt(filler + 1);
            }
            Arrays.sort(gaps[g]); // increasing depth within a group
        }
        List<String> paragraphs = new ArrayList<>();
        int[][] where = new int[groups.size()][];
        for (int g = 0; g < groups.size(); g++) {
            where[g] = new int[groups.get(g).size()];
        }
        for (int gap = 0; gap <= filler; gap++) {
            for (int g = 0; g < groups.size(); g++) {
                for (int j = 0; j < gaps[g].length; j++) {
                    if (gaps[g][j] == gap) {
                        where[g][j] = paragraphs.size();
                        paragraphs.add(groups.get(g).get(j));
                    }
                }
            }
            if (gap < filler) {
                paragraphs.add(corpus.paragraph((start + gap) % corpus.size()));
            }
        }
        TaskSample sample = skeleton.withContext(layout.render(paragraphs));
        return new Fitted(sample, paragraphs, where, format.tokens(sample).length);
    }
}
