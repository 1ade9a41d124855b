package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;

/** What a vocabulary entry is, with the codes of GGUF's {@code tokenizer.ggml.token_type}. */
public enum TokenType {
    /** A byte-level BPE token. */
    NORMAL(1),
    UNKNOWN(2),
    /** A special added token ({@code <|eot_id|>}): matched in raw text unless asked not to. */
    CONTROL(3),
    /** A non-special added token ({@code <think>}): always matched in raw text. */
    USER_DEFINED(4),
    /** A placeholder id (a hole in the vocabulary); never produced, decodes to nothing. */
    UNUSED(5),
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    public int ggufCode() { return code; }

    public static TokenType fromGgufCode(int code) {
        for (TokenType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new ModelFormatException("unknown GGUF token type " + code);
    }

    /** Added tokens are found in the raw text before pre-tokenisation. */
    boolean isAdded() {
        return this == CONTROL || this == USER_DEFINED;
    }
}
