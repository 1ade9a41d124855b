package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A byte-level BPE tokenizer (GPT-2 style, as Llama 3 and Qwen 2/3 use), loaded from a Hugging Face
 * {@code tokenizer.json} or from GGUF metadata, and equivalent to Hugging Face {@code tokenizers} on
 * those families. Encoding: added tokens are found in the raw text; each stretch between them is
 * normalised (NFC where the family does), split into pre-tokens, and each pre-token is BPE-merged
 * over its UTF-8 bytes. Decoding concatenates token bytes and decodes them as UTF-8, replacing
 * invalid sequences with U+FFFD. Thread-safe.
 */
public final class Tokenizer {
    private final String[] tokens;       // vocabulary form by id; null for a hole
    private final TokenType[] types;
    private final byte[][] tokenBytes;   // what each id decodes to
    private final Map<String, Integer> ids;
    private final BpeModel bpe;
    private final PreTokenizer preTokenizer;
    private final boolean nfc;
    private final AddedTokenMatcher allAdded = new AddedTokenMatcher();
    private final AddedTokenMatcher nonSpecialAdded = new AddedTokenMatcher();
    private final SpecialTokens specialTokens;
    private final String chatTemplate;

    Tokenizer(String[] tokens, TokenType[] types, BpeModel bpe, PreTokenizer preTokenizer, boolean nfc,
              SpecialTokens specialTokens, String chatTemplate) {
        this.tokens = tokens.clone();
        this.types = types.clone();
        this.bpe = bpe;
        this.preTokenizer = preTokenizer;
        this.nfc = nfc;
        this.specialTokens = specialTokens;
        this.chatTemplate = chatTemplate;
        this.tokenBytes = new byte[tokens.length][];
        this.ids = HashMap.newHashMap(tokens.length);
        for (int id = 0; id < tokens.length; id++) {
            String t = tokens[id];
            TokenType type = types[id];
            if (t == null || type == TokenType.UNUSED) {
                tokenBytes[id] = new byte[0];
                continue;
            }
            ids.putIfAbsent(t, id);
            if (type.isAdded()) {
                tokenBytes[id] = t.getBytes(StandardCharsets.UTF_8);
                allAdded.add(t, id);
                if (type == TokenType.USER_DEFINED) {
                    nonSpecialAdded.add(t, id);
                }
            } else {
                byte[] b = ByteLevel.decode(t);
                tokenBytes[id] = b != null ? b : t.getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * Loads {@code tokenizer.json}, with {@code tokenizer_config.json} (may be null) for the BOS/EOS/PAD
     * names and the chat template; a {@code chat_template.jinja} beside either file takes precedence
     * over the config's template, as in {@code transformers}.
     */
    public static Tokenizer fromHuggingFace(Path tokenizerJson, Path tokenizerConfigJsonOrNull) {
        return HuggingFaceTokenizerLoader.load(tokenizerJson, tokenizerConfigJsonOrNull);
    }

    /** Builds the tokenizer a GGUF file describes ({@code tokenizer.ggml.*}, {@code tokenizer.chat_template}). */
    public static Tokenizer fromGguf(GgufMetadata metadata) {
        return GgufTokenizerLoader.load(metadata);
    }

    /** Ids of {@code text} without BOS/EOS; special-token text (e.g. {@code <|im_end|>}) becomes that token. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** As {@link #encode(String)}, adding BOS/EOS as the model's tokenizer does when {@code addSpecialTokens}. */
    public int[] encode(String text, boolean addSpecialTokens) {
        return encode(text, addSpecialTokens, allAdded);
    }

    /**
     * Ids of {@code text} treating special-token text as plain text (for untrusted content that must
     * not inject control tokens). Non-special added tokens ({@code <think>}) are still matched: they
     * are ordinary vocabulary to the model, as with Hugging Face's {@code split_special_tokens}.
     */
    public int[] encodeOrdinary(String text) {
        return encode(text, false, nonSpecialAdded);
    }

    private int[] encode(String text, boolean addSpecialTokens, AddedTokenMatcher matcher) {
        Objects.requireNonNull(text, "text");
        String s = replaceLoneSurrogates(text);
        IntList out = new IntList(s.length() / 3 + 4);
        if (addSpecialTokens && specialTokens.addBos() && specialTokens.bos() >= 0) {
            out.add(specialTokens.bos());
        }
        int[] last = {0};
        matcher.scan(s, 0, s.length(), (id, start, end) -> {
            encodePlain(s, last[0], start, out);
            out.add(id);
            last[0] = end;
        });
        encodePlain(s, last[0], s.length(), out);
        if (addSpecialTokens && specialTokens.addEos() && specialTokens.eos() >= 0) {
            out.add(specialTokens.eos());
        }
        return out.toArray();
    }

    private void encodePlain(String s, int from, int to, IntList out) {
        if (from >= to) {
            return;
        }
        String segment = s.substring(from, to);
        if (nfc && !Normalizer.isNormalized(segment, Normalizer.Form.NFC)) {
            segment = Normalizer.normalize(segment, Normalizer.Form.NFC);
        }
        String seg = segment;
        preTokenizer.split(seg, 0, seg.length(), (a, b) -> bpe.encode(seg.substring(a, b), out));
    }

    /** Rust strings cannot hold unpaired surrogates; give them the meaning UTF-8 encoding would: U+FFFD. */
    private static String replaceLoneSurrogates(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                if (chars == null) {
                    chars = text.toCharArray();
                }
                chars[i] = '\uFFFD';
            }
        }
        return chars == null ? text : new String(chars);
    }

    /** Text of the ids, special tokens included; invalid UTF-8 becomes U+FFFD. */
    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    /** Text of {@code ids[from, to)}. */
    public String decode(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        int n = 0;
        for (int i = from; i < to; i++) {
            n += bytesOf(ids[i]).length;
        }
        byte[] buf = new byte[n];
        int o = 0;
        for (int i = from; i < to; i++) {
            byte[] b = tokenBytes[ids[i]];
            System.arraycopy(b, 0, buf, o, b.length);
            o += b.length;
        }
        return Utf8.decode(buf, 0, n);
    }

    /** A decoder for generated ids that only ever emits whole characters, special tokens' text included. */
    public TokenStreamDecoder newStreamDecoder() {
        return new TokenStreamDecoder(this, false);
    }

    /** A decoder of an answer: whole characters, and no text for control tokens (the chat format's markup). */
    public TokenStreamDecoder newAnswerDecoder() {
        return new TokenStreamDecoder(this, true);
    }

    /** The bytes an id stands for (a copy is not made: do not modify). */
    byte[] bytesOf(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + tokenBytes.length + ")");
        }
        return tokenBytes[id];
    }

    /**
     * The vocabulary entry of an id as the model files store it: byte-level form for BPE tokens
     * ({@code "Ġthe"} for " the"), the literal text for added tokens, null for a hole.
     */
    public String tokenText(int id) {
        bytesOf(id);
        return tokens[id];
    }

    /** The id of a vocabulary entry given in the form {@link #tokenText} returns, or -1. */
    public int tokenId(String tokenText) {
        Integer id = ids.get(tokenText);
        return id == null ? -1 : id;
    }

    public TokenType tokenType(int id) {
        bytesOf(id);
        return types[id];
    }

    /** Ids 0 ... vocabSize-1 (the model's embedding rows may be more). */
    public int vocabSize() { return tokens.length; }

    public SpecialTokens specialTokens() { return specialTokens; }

    public PreTokenizer preTokenizer() { return preTokenizer; }

    /** Whether text is NFC-normalised before pre-tokenisation. */
    public boolean normalizesNfc() { return nfc; }

    /** Whether a pre-token that is itself in the vocabulary is emitted whole, without merging (Llama 3). */
    public boolean ignoresMerges() { return bpe.ignoresMerges(); }

    /** The model's own Jinja chat template, when its files carry one. */
    public Optional<String> chatTemplateSource() { return Optional.ofNullable(chatTemplate); }

    /** Merges in rank order as {@code "left right"} in vocabulary form (the GGUF encoding). */
    public List<String> merges() {
        MergeTable m = bpe.merges();
        List<String> out = new ArrayList<>(m.size());
        for (int r = 0; r < m.size(); r++) {
            out.add(tokens[m.left(r)] + " " + tokens[m.right(r)]);
        }
        return out;
    }

    /** Builds the merge table for a byte-level vocabulary, failing with the source named on a bad merge. */
    static MergeTable mergeTable(List<String[]> pairs, Map<String, Integer> vocab, String source) {
        int n = pairs.size();
        int[] left = new int[n];
        int[] right = new int[n];
        int[] result = new int[n];
        for (int r = 0; r < n; r++) {
            String[] p = pairs.get(r);
            Integer a = vocab.get(p[0]);
            Integer b = vocab.get(p[1]);
            Integer c = vocab.get(p[0] + p[1]);
            if (a == null || b == null || c == null) {
                throw new ModelFormatException(source + ": merge " + r + " (\"" + p[0] + "\", \"" + p[1]
                        + "\") uses or makes a token missing from the vocabulary");
            }
            left[r] = a;
            right[r] = b;
            result[r] = c;
        }
        return new MergeTable(left, right, result);
    }
}
