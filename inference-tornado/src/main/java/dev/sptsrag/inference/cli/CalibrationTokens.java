package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The token sequences a calibration runs over: text files cut into sequences of at most
 * {@code sequenceLength} tokens (each file starts a sequence; every sequence starts with BOS when the
 * model's tokenizer adds one), or random token ids for a model without a tokenizer. At most
 * {@code limit} tokens in all.
 */
final class CalibrationTokens {
    private CalibrationTokens() {
    }

    static List<int[]> fromTexts(Tokenizer tokenizer, List<Path> files, int limit, int sequenceLength) {
        int bos = tokenizer.specialTokens().addBos() ? tokenizer.specialTokens().bos() : -1;
        int prefix = bos >= 0 ? 1 : 0;
        if (sequenceLength <= prefix) {
            throw new IllegalArgumentException("--sequence-length must leave room for text after BOS");
        }
        List<int[]> sequences = new ArrayList<>();
        int total = 0;
        for (Path file : files) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read calibration text " + file + ": " + e.getMessage(), e);
            }
            int[] ids = tokenizer.encode(text, false);
            for (int at = 0; at < ids.length && total < limit; ) {
                int n = Math.min(Math.min(sequenceLength - prefix, ids.length - at), limit - total - prefix);
                if (n <= 0) {
                    break;
                }
                int[] sequence = new int[prefix + n];
                if (bos >= 0) {
                    sequence[0] = bos;
                }
                System.arraycopy(ids, at, sequence, prefix, n);
                sequences.add(sequence);
                total += sequence.length;
                at += n;
            }
        }
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("the calibration texts hold no tokens: " + files);
        }
        return sequences;
    }

    static List<int[]> random(int vocabSize, int limit, int sequenceLength, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> sequences = new ArrayList<>();
        for (int total = 0; total < limit; ) {
            int n = Math.min(sequenceLength, limit - total);
            sequences.add(random.ints(n, 0, vocabSize).toArray());
            total += n;
        }
        return sequences;
    }

    static long count(List<int[]> sequences) {
        return sequences.stream().mapToLong(s -> s.length).sum();
    }

    static String describe(List<int[]> sequences) {
        int[] lengths = sequences.stream().mapToInt(s -> s.length).toArray();
        return sequences.size() + " sequences, " + count(sequences) + " tokens (longest "
                + Arrays.stream(lengths).max().orElse(0) + ")";
    }
}
