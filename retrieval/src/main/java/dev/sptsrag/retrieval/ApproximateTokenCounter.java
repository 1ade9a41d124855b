package dev.sptsrag.retrieval;

/**
 * A deterministic stand-in for a BPE tokenizer, for tests, benchmarks and tools that run without a
 * model: a run of letters or digits costs one token per started 4 characters (so "the" is 1 and
 * "internationalization" is 5), every other non-space character costs 1, white space costs nothing.
 * On English prose it lands within about 20 % of the Llama-3 and Qwen-2.5 tokenizers. It is not
 * additive at the edges of a split word, which is why callers check the final text's count, not a
 * sum of parts.
 */
public final class ApproximateTokenCounter implements TokenCounter {

    /** Characters of a word that one token covers. */
    private static final int CHARS_PER_WORD_TOKEN = 4;

    @Override
    public int count(String text) {
        int tokens = 0;
        int wordLength = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetterOrDigit(c)) {
                wordLength++;
                continue;
            }
            tokens += wordTokens(wordLength);
            wordLength = 0;
            if (!Character.isWhitespace(c)) {
                tokens++;
            }
        }
        return tokens + wordTokens(wordLength);
    }

    private static int wordTokens(int length) {
        return (length + CHARS_PER_WORD_TOKEN - 1) / CHARS_PER_WORD_TOKEN;
    }
}
