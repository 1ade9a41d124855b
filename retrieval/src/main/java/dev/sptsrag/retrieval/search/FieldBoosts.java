package dev.sptsrag.retrieval.search;

/**
 * How much a query term matching each field counts in BM25 relative to the chunk's text. Headings
 * name what a section is about in few words, so a match there is strong evidence for every chunk of
 * the section, including those whose text never repeats the heading's words.
 */
public record FieldBoosts(float text, float section, float title) {
    public FieldBoosts {
        if (!(text > 0) || !(section >= 0) || !(title >= 0)) {
            throw new IllegalArgumentException("boosts must be >= 0 (text > 0): " + text + ", " + section + ", " + title);
        }
    }

    /**
     * 1, 0.5, 0.2: on the Debian Policy questions (DebianPolicyRetrievalQualityTest) recall@5 is 0.976
     * with them and 0.906 with the text alone (docs/benchmarks.md has the other settings tried).
     */
    public static FieldBoosts defaults() {
        return new FieldBoosts(1.0f, 0.5f, 0.2f);
    }
}
