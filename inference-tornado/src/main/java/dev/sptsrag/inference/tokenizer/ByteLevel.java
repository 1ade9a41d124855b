package dev.sptsrag.inference.tokenizer;

/**
 * The GPT-2 byte-level alphabet: every byte has a printable stand-in character so that byte strings
 * can live in a JSON/GGUF vocabulary of strings. Printable Latin-1 bytes stand for themselves; the
 * other 68 bytes (controls, space, NBSP, soft hyphen, ...) take the code points from U+0100 upward,
 * in byte order. Vocabularies store tokens in this form ("Ġthe" is " the").
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte a stand-in character means, or -1 if the character is not in the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Bytes to their vocabulary form. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * A vocabulary string back to bytes, or null when it holds a character outside the alphabet
     * (such an entry is not a byte-level token; callers fall back to its UTF-8, as Hugging Face's
     * ByteLevel decoder does).
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
