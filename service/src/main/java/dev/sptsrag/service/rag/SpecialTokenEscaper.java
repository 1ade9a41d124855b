package dev.sptsrag.service.rag;

import dev.sptsrag.inference.tokenizer.TokenType;
import dev.sptsrag.inference.tokenizer.Tokenizer;

/**
 * Makes untrusted text (retrieved documents, the question) unable to inject control tokens.
 *
 * <p>The chat model tokenizes the whole rendered prompt with special-token matching (as llama.cpp and
 * the OpenAI API's callers expect), so a document containing {@code <|eot_id|>} would end the user's turn
 * and could open a forged one. Rather than change how every prompt is tokenized, the RAG prompt escapes
 * its untrusted parts: each control token's text found in them gets a zero-width space after its
 * first character, so it reads the same to a person but no longer matches the token. Text without
 * control tokens (almost all of it) comes back unchanged.
 */
public final class SpecialTokenEscaper {
    static final char BREAK = '\u200B';

    private SpecialTokenEscaper() {
    }

    public static String escape(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text);
        boolean any = false;
        for (int id : ids) {
            any |= tokenizer.tokenType(id) == TokenType.CONTROL;
        }
        if (!any) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        int runStart = 0;
        for (int i = 0; i <= ids.length; i++) {
            if (i == ids.length || tokenizer.tokenType(ids[i]) == TokenType.CONTROL) {
                out.append(tokenizer.decode(ids, runStart, i)); // the ordinary text before, as written
                if (i < ids.length) {
                    String special = tokenizer.tokenText(ids[i]);
                    out.append(special, 0, 1).append(BREAK).append(special, 1, special.length());
                }
                runStart = i + 1;
            }
        }
        return out.toString();
    }
}
