package dev.sptsrag.inference.tokenizer;

/**
 * Lossy UTF-8 decoding that replaces each maximal ill-formed subpart with one U+FFFD (the Unicode
 * recommended practice, which Rust's {@code String::from_utf8_lossy} and so Hugging Face's decoders
 * follow). It can stop before a trailing sequence that is still incomplete, so that a streaming
 * decoder never emits half a character: left-to-right decoding makes the chunks add up to the
 * decoding of the whole.
 */
final class Utf8 {
    private static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    static String decode(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        decode(bytes, from, to, sb, false);
        return sb.toString();
    }

    /**
     * Decodes {@code bytes[from, to)} into {@code out}. Returns {@code to}, or, when
     * {@code holdIncomplete} and the input ends inside a sequence that could still become valid,
     * the index where that sequence starts (its bytes are not consumed).
     */
    static int decode(byte[] bytes, int from, int to, StringBuilder out, boolean holdIncomplete) {
        int i = from;
        while (i < to) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int trailing;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                trailing = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                trailing = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F; // no UTF-16 surrogates
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                trailing = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F; // nothing above U+10FFFF
                }
            } else {
                out.append(REPLACEMENT); // a continuation byte or a byte never used in UTF-8
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> trailing);
            int j = i + 1;
            boolean bad = false;
            for (int k = 0; k < trailing; k++, j++) {
                if (j >= to) {
                    if (holdIncomplete) {
                        return i;
                    }
                    out.append(REPLACEMENT);
                    return to;
                }
                int b = bytes[j] & 0xFF;
                if (b < lo || b > hi) {
                    bad = true;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
                lo = 0x80;
                hi = 0xBF;
            }
            if (bad) {
                out.append(REPLACEMENT); // the maximal subpart is [i, j): the offending byte starts afresh
                i = j;
            } else {
                out.appendCodePoint(cp);
                i = j;
            }
        }
        return to;
    }
}
