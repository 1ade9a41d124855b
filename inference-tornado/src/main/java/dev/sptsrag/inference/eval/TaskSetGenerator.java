package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates evaluation sets for one model's tokenizer and chat template. Sample {@code i} of a family at a
 * length has its own random stream, derived from the seed, the family, the length and {@code i}: the same
 * seed gives the same samples, and adding a family or a length changes no other cell.
 */
public final class TaskSetGenerator {
    private final Haystack haystack;
    private final TaskVocabulary vocabulary;
    private final Map<TaskFamily, TaskGenerator> generators = new EnumMap<>(TaskFamily.class);

    public TaskSetGenerator(PromptFormat format) {
        this(format, TaskVocabulary.load(), FillerCorpus.heldOut());
    }

    public TaskSetGenerator(PromptFormat format, TaskVocabulary vocabulary, FillerCorpus filler) {
        this.vocabulary = vocabulary;
        this.haystack = new Haystack(filler, format);
    }

    /** One sample. */
    public TaskSample sample(TaskFamily family, int length, long seed, int index) {
        if (length < 1) {
            throw new IllegalArgumentException("task length must be >= 1 token, was " + length);
        }
        TaskGenerator g = generators.computeIfAbsent(family, f -> f.generator(vocabulary, haystack));
        return g.generate(length, new SplittableRandom(streamSeed(seed, family, length, index)));
    }

    /** {@code samples} samples of every family at every length, in that order (family, length, index). */
    public List<TaskSample> generate(List<TaskFamily> families, List<Integer> lengths, int samples, long seed) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1, was " + samples);
        }
        List<TaskSample> out = new ArrayList<>();
        for (TaskFamily f : families) {
            for (int length : lengths) {
                for (int i = 0; i < samples; i++) {
                    out.add(sample(f, length, seed, i));
                }
            }
        }
        return out;
    }

    static long streamSeed(long seed, TaskFamily family, int length, int index) {
        long s = mix(seed + 0x9E3779B97F4A7C15L);
        s = mix(s ^ family.taskName().hashCode());
        s = mix(s ^ length);
        return mix(s ^ index);
    }

    /** The finaliser of MurmurHash3: spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
