package dev.sptsrag.inference.tokenizer;

import java.util.Arrays;

/**
 * Turns generated ids into text as they arrive. A token can end in the middle of a multi-byte
 * character (emoji and CJK are often split across two or three byte tokens); such a tail is held
 * back until the token that completes it arrives, so every returned chunk is whole characters and
 * the chunks concatenate to exactly {@link Tokenizer#decode} of all ids. Bytes that can no longer
 * become valid UTF-8 are emitted as U+FFFD right away. An answer decoder leaves out the text of control
 * tokens ({@code <|im_start|>}, {@code <|start_header_id|>}: the chat format's markup, never the answer's words),
 * as Hugging Face's {@code skip_special_tokens} does; its chunks then concatenate to the decode of the other ids.
 * Not thread-safe: one per generation.
 */
public final class TokenStreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipControl;
    private byte[] pending = new byte[16];
    private int size;

    TokenStreamDecoder(Tokenizer tokenizer, boolean skipControl) {
        this.tokenizer = tokenizer;
        this.skipControl = skipControl;
    }

    /** Adds one id; returns the text it completes (possibly empty). */
    public String append(int tokenId) {
        byte[] b = tokenizer.bytesOf(tokenId);
        if (skipControl && tokenizer.tokenType(tokenId) == TokenType.CONTROL) {
            return "";
        }
        if (size + b.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, size + b.length));
        }
        System.arraycopy(b, 0, pending, size, b.length);
        size += b.length;
        StringBuilder sb = new StringBuilder(size);
        int consumed = Utf8.decode(pending, 0, size, sb, true);
        System.arraycopy(pending, consumed, pending, 0, size - consumed);
        size -= consumed;
        return sb.toString();
    }

    /** Whether bytes of an unfinished character are held back. */
    public boolean hasPending() {
        return size > 0;
    }

    /** Ends the stream: an unfinished character becomes U+FFFD. */
    public String flush() {
        String s = Utf8.decode(pending, 0, size);
        size = 0;
        return s;
    }
}
