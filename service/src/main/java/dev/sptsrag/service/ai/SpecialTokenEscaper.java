package dev.sptsrag.service.ai;

import dev.sptsrag.inference.tokenizer.TokenType;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes untrusted text (retrieved documents, the question) unable to inject control tokens.
 *
 * <p>The chat model tokenizes the whole rendered prompt with special-token matching (as llama.cpp and
 * the OpenAI API's callers expect), so a document containing {@code <|eot_id|>} would end the user's turn
 * and could open a forged one. Rather than change how every prompt is tokenized, the RAG prompt escapes
 * its untrusted parts: each control token's text found in them gets a zero-width space after its
 * first character, so it reads the same to a person but no longer matches the token. Text without
 * control tokens (almost all of it) comes back unchanged.
 *
 * <p>The text is not tokenized: the escaper finds added tokens as the tokenizer does before any BPE work
 * (leftmost first, longest at a position, among all added tokens, so a longer non-control token wins over
 * a control token it starts with), which keeps the prompt to one tokenization, by the chat model.
 */
public final class SpecialTokenEscaper {
    static final char BREAK = '\u200B';

    /** Added tokens by their first character, longest first: the candidates at a position, in match order. */
    private final Map<Character, List<AddedToken>> byFirstChar;

    private record AddedToken(String text, boolean control) {
    }

    public SpecialTokenEscaper(Tokenizer tokenizer) {
        Map<Character, List<AddedToken>> index = new HashMap<>();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            TokenType type = tokenizer.tokenType(id);
            String text = tokenizer.tokenText(id);
            if ((type == TokenType.CONTROL || type == TokenType.USER_DEFINED) && text != null && !text.isEmpty()) {
                index.computeIfAbsent(text.charAt(0), c -> new ArrayList<>())
                        .add(new AddedToken(text, type == TokenType.CONTROL));
            }
        }
        index.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken t) -> t.text().length()).reversed()));
        this.byFirstChar = index;
    }

    public String escape(String text) {
        StringBuilder out = null; // created at the first control token: most text has none
        int copied = 0;
        int pos = 0;
        while (pos < text.length()) {
            AddedToken match = longestAt(text, pos);
            if (match == null) {
                pos++;
                continue;
            }
            if (match.control()) {
                if (out == null) {
                    out = new StringBuilder(text.length() + 8);
                }
                out.append(text, copied, pos + 1).append(BREAK);
                copied = pos + 1;
            }
            pos += match.text().length();
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    private AddedToken longestAt(String text, int pos) {
        List<AddedToken> candidates = byFirstChar.get(text.charAt(pos));
        if (candidates != null) {
            for (AddedToken t : candidates) {
                if (text.startsWith(t.text(), pos)) {
                    return t;
                }
            }
        }
        return null;
    }
}
