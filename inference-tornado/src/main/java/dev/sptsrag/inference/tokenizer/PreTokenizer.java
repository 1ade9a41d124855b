package dev.sptsrag.inference.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits text into pre-tokens the way the model family's split regex does, before byte-level BPE.
 * Both supported families use the same seven alternatives (contractions, optionally-prefixed
 * letters, digits, optionally space-prefixed punctuation with trailing newlines, whitespace ending in
 * a newline, whitespace not followed by non-space, whitespace); they differ only in the digit group
 * ({@code \p{N}{1,3}} for Llama 3, {@code \p{N}} for Qwen 2). The regex is evaluated by a hand-written
 * scanner instead of {@code java.util.regex}: it is several times faster on long prompts, and it
 * follows Oniguruma's Unicode classes (what Hugging Face uses) exactly, where Java's {@code \s} does not.
 */
public enum PreTokenizer {
    LLAMA3("llama-bpe", 3, false,
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    QWEN2("qwen2", 1, true,
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final String ggufName;
    private final int maxDigits;
    private final boolean nfc;
    private final String regex;

    PreTokenizer(String ggufName, int maxDigits, boolean nfc, String regex) {
        this.ggufName = ggufName;
        this.maxDigits = maxDigits;
        this.nfc = nfc;
        this.regex = regex;
    }

    /** The value of {@code tokenizer.ggml.pre} that names this family. */
    public String ggufName() { return ggufName; }

    /** The split regex as it appears in the family's {@code tokenizer.json}. */
    public String regex() { return regex; }

    /**
     * Whether the family's tokenizer NFC-normalises text first (Qwen's {@code tokenizer.json} declares
     * it). GGUF has no normaliser key, so a GGUF model gets the normalisation its pre name implies.
     */
    public boolean normalizesNfc() { return nfc; }

    /** Whether the family's BPE emits a pre-token found whole in the vocabulary without merging (Llama 3 does). */
    public boolean ignoresMergesByDefault() { return this == LLAMA3; }

    /** The family for a GGUF pre name, or an {@code UnsupportedModelException} listing the known names. */
    public static PreTokenizer forGgufName(String name) {
        for (PreTokenizer p : values()) {
            if (p.ggufName.equals(name)) {
                return p;
            }
        }
        throw new dev.sptsrag.inference.UnsupportedModelException("tokenizer pre-tokenizer \"" + name
                + "\" is not supported; supported: " + supportedNames());
    }

    /** The family whose split regex is exactly {@code regex}, or null. */
    static PreTokenizer forRegex(String regex) {
        for (PreTokenizer p : values()) {
            if (p.regex.equals(regex)) {
                return p;
            }
        }
        return null;
    }

    static String supportedNames() {
        List<String> names = new ArrayList<>();
        for (PreTokenizer p : values()) {
            names.add(p.ggufName);
        }
        return String.join(", ", names);
    }

    /** Receives pre-token boundaries {@code [start, end)} in char indices of the text. */
    @FunctionalInterface
    public interface PieceSink {
        void piece(int start, int end);
    }

    /** Splits {@code text[from, to)} into pre-tokens, in order, covering the range without gaps. */
    public void split(CharSequence text, int from, int to, PieceSink sink) {
        int pos = from;
        while (pos < to) {
            int end = matchAt(text, pos, to);
            sink.piece(pos, end);
            pos = end;
        }
    }

    /** Convenience for tests and tools: the pre-tokens of a string. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, 0, text.length(), (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    /** End of the regex match that starts at {@code pos} (the pattern matches at every position). */
    private int matchAt(CharSequence t, int pos, int to) {
        int c = Character.codePointAt(t, pos);
        int n = pos + Character.charCount(c);

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && n < to) {
            int end = contraction(t, n, to);
            if (end > 0) {
                return end;
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (isLetter(c)) {
            return letters(t, n, to);
        }
        if (c != '\r' && c != '\n' && !isNumber(c) && n < to && isLetter(Character.codePointAt(t, n))) {
            return letters(t, n, to);
        }
        // \p{N}{1,max}
        if (isNumber(c)) {
            int end = n;
            for (int k = 1; k < maxDigits && end < to; k++) {
                int d = Character.codePointAt(t, end);
                if (!isNumber(d)) {
                    break;
                }
                end += Character.charCount(d);
            }
            return end;
        }
        // ' '?[^\s\p{L}\p{N}]+[\r\n]*
        int p = pos;
        if (c == ' ' && n < to && isOther(Character.codePointAt(t, n))) {
            p = n;
        }
        if (isOther(Character.codePointAt(t, p))) {
            int end = p;
            while (end < to) {
                int d = Character.codePointAt(t, end);
                if (!isOther(d)) {
                    break;
                }
                end += Character.charCount(d);
            }
            while (end < to && (t.charAt(end) == '\r' || t.charAt(end) == '\n')) {
                end++;
            }
            return end;
        }
        // c is whitespace from here on. Find the whitespace run [pos, runEnd), its last newline and
        // the start of its last character.
        int runEnd = pos;
        int lastNewlineEnd = -1;
        int lastStart = pos;
        while (runEnd < to) {
            int d = Character.codePointAt(t, runEnd);
            if (!isWhitespace(d)) {
                break;
            }
            lastStart = runEnd;
            runEnd += Character.charCount(d);
            if (d == '\r' || d == '\n') {
                lastNewlineEnd = runEnd;
            }
        }
        // \s*[\r\n]+ : backtracking leaves the match ending at the run's last newline.
        if (lastNewlineEnd > 0) {
            return lastNewlineEnd;
        }
        // \s+(?!\S) : the whole run at the end of text, else all but its last character.
        if (runEnd == to) {
            return runEnd;
        }
        if (lastStart > pos) {
            return lastStart;
        }
        // \s+
        return runEnd;
    }

    /** End of {@code 's|'t|'re|'ve|'m|'ll|'d} (case-insensitive) after the apostrophe at n-1, or -1. */
    private static int contraction(CharSequence t, int n, int to) {
        int a = fold(t.charAt(n));
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return n + 1;
        }
        if (n + 1 < to) {
            int b = fold(t.charAt(n + 1));
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return n + 2;
            }
        }
        return -1;
    }

    /** Simple case folding for the letters the contractions use (U+017F LONG S folds to 's'). */
    private static int fold(char c) {
        if (c == '\u017F') {
            return 's';
        }
        return c < 128 ? Character.toLowerCase(c) : c;
    }

    private static int letters(CharSequence t, int from, int to) {
        int end = from;
        while (end < to) {
            int d = Character.codePointAt(t, end);
            if (!isLetter(d)) {
                break;
            }
            end += Character.charCount(d);
        }
        return end;
    }

    // Character classes: ASCII through a table, the rest through java.lang.Character.
    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte SPACE = 4;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                ASCII[c] = LETTER;
            } else if (c >= '0' && c <= '9') {
                ASCII[c] = NUMBER;
            } else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
                ASCII[c] = SPACE;
            }
        }
    }

    /** {@code \p{L}}: general categories Lu, Ll, Lt, Lm, Lo. */
    static boolean isLetter(int c) {
        return c < 128 ? ASCII[c] == LETTER : Character.isLetter(c);
    }

    /** {@code \p{N}}: general categories Nd, Nl, No. */
    static boolean isNumber(int c) {
        if (c < 128) {
            return ASCII[c] == NUMBER;
        }
        int type = Character.getType(c);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    /** {@code \s} in Oniguruma with Unicode: the White_Space property (not Java's isWhitespace). */
    static boolean isWhitespace(int c) {
        if (c < 128) {
            return ASCII[c] == SPACE;
        }
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** {@code [^\s\p{L}\p{N}]}. */
    private static boolean isOther(int c) {
        return !isWhitespace(c) && !isLetter(c) && !isNumber(c);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT) + " (" + ggufName + ")";
    }
}
