package dev.sptsrag.retrieval.testing;

import dev.sptsrag.retrieval.ingest.DocumentFormat;
import dev.sptsrag.retrieval.ingest.IngestOptions;
import dev.sptsrag.retrieval.ingest.MarkdownParser;
import dev.sptsrag.retrieval.ingest.ParsedDocument;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Documents made up for tests: Markdown parsed for real, or synthetic prose with a seed. */
public final class Documents {
    private static final String[] WORDS = ("harbour lamp tide gate pump valve ferry quay island log weather code turbine "
            + "sluice basin sensor pressure journal mantle lens cloth wind fog gale calm north south keeper station "
            + "archive setting limit minute litre summer diver blade bearing alarm report hall").split(" ");

    private Documents() {}

    public static ParsedDocument markdown(String source, String markdown) {
        return new MarkdownParser().parse(source, markdown.getBytes(StandardCharsets.UTF_8), IngestOptions.defaults());
    }

    public static ParsedDocument plain(String source, String text) {
        return new ParsedDocument(source, DocumentFormat.PLAIN_TEXT, source, text, List.of(), List.of(), Map.of());
    }

    /** A sentence of {@code words} words from a fixed vocabulary, capitalised, ending with a period. */
    public static String sentence(Random random, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            String w = WORDS[random.nextInt(WORDS.length)];
            s.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : " " + w);
        }
        return s.append('.').toString();
    }

    /** Markdown with {@code sections} level-2 sections of a few paragraphs of random sentences. */
    public static String randomMarkdown(Random random, int sections) {
        StringBuilder md = new StringBuilder("# Random manual\n\n");
        for (int s = 0; s < sections; s++) {
            md.append("## Section ").append(s + 1).append("\n\n");
            int paragraphs = 1 + random.nextInt(5);
            for (int p = 0; p < paragraphs; p++) {
                int sentences = 1 + random.nextInt(8);
                for (int i = 0; i < sentences; i++) {
                    md.append(sentence(random, 3 + random.nextInt(25))).append(' ');
                }
                md.append("\n\n");
            }
        }
        return md.toString();
    }
}
