package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the tokenizer from GGUF metadata as llama.cpp's converter writes it for byte-level BPE
 * ({@code tokenizer.ggml.model = "gpt2"}). llama.cpp's keys carry no normaliser or ignore-merges
 * flag; both follow from the pre-tokenizer name (Llama 3 ignores merges, as in llama.cpp; Qwen 2
 * NFC-normalises, as its tokenizer.json does), unless our own {@code tokenizer.spts.*} keys say
 * otherwise for a tokenizer that departs from its family (the tiny test models do).
 */
final class GgufTokenizerLoader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String EOT = "tokenizer.ggml.eot_token_id";
    static final String EOM = "tokenizer.ggml.eom_token_id";
    static final String PAD = "tokenizer.ggml.padding_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String CHAT_TEMPLATE = "tokenizer.chat_template";
    /** Ours, written only where a tokenizer departs from what its pre name implies: "nfc" or "none". */
    static final String NORMALIZER = "tokenizer.spts.normalizer";
    /** Ours, written only where a tokenizer departs from what its pre name implies. */
    static final String IGNORE_MERGES = "tokenizer.spts.ignore_merges";

    private GgufTokenizerLoader() {
    }

    static Tokenizer load(GgufMetadata md) {
        if (!md.contains(MODEL)) {
            throw new ModelFormatException("GGUF metadata has no " + MODEL);
        }
        String model = md.getString(MODEL);
        if (!model.equals("gpt2")) {
            throw new UnsupportedModelException("GGUF tokenizer model \"" + model + "\" is not supported; supported: gpt2");
        }
        if (!md.contains(PRE)) {
            throw new UnsupportedModelException("GGUF metadata has no " + PRE + "; supported: " + PreTokenizer.supportedNames());
        }
        PreTokenizer pre = PreTokenizer.forGgufName(md.getString(PRE));

        List<String> tokenList = md.getStringList(TOKENS);
        int n = tokenList.size();
        String[] tokens = tokenList.toArray(new String[0]);
        TokenType[] types = new TokenType[n];
        if (md.contains(TOKEN_TYPE)) {
            int[] codes = md.getIntArray(TOKEN_TYPE);
            if (codes.length != n) {
                throw new ModelFormatException("GGUF " + TOKEN_TYPE + " has " + codes.length + " entries for " + n + " tokens");
            }
            for (int i = 0; i < n; i++) {
                types[i] = TokenType.fromGgufCode(codes[i]);
            }
        } else {
            java.util.Arrays.fill(types, TokenType.NORMAL);
        }
        Map<String, Integer> vocab = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            if (types[i] == TokenType.NORMAL || types[i] == TokenType.BYTE) {
                vocab.putIfAbsent(tokens[i], i);
            }
        }
        List<String[]> pairs = new ArrayList<>();
        if (md.contains(MERGES)) {
            for (String m : md.getStringList(MERGES)) {
                int sp = m.indexOf(' ');
                if (sp <= 0 || sp == m.length() - 1 || m.indexOf(' ', sp + 1) >= 0) {
                    throw new ModelFormatException("GGUF " + MERGES + ": \"" + m + "\" is not two tokens separated by one space");
                }
                pairs.add(new String[] {m.substring(0, sp), m.substring(sp + 1)});
            }
        }
        BpeModel bpe = new BpeModel(vocab, Tokenizer.mergeTable(pairs, vocab, "GGUF " + MERGES),
                md.findBoolean(IGNORE_MERGES).orElse(pre.ignoresMergesByDefault()), "GGUF " + TOKENS);

        int bos = optId(md, BOS, n);
        int eos = optId(md, EOS, n);
        int eot = optId(md, EOT, n);
        int eom = optId(md, EOM, n);
        int pad = optId(md, PAD, n);
        boolean addBos = md.findBoolean(ADD_BOS).orElse(pre == PreTokenizer.LLAMA3);
        boolean addEos = md.findBoolean(ADD_EOS).orElse(false);
        List<Integer> stop = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (types[i] == TokenType.CONTROL && SpecialTokens.END_MARKERS.contains(tokens[i])) {
                stop.add(i);
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) {
                stop.add(id);
            }
        }
        SpecialTokens special = new SpecialTokens(bos, eos, eot, pad, addBos, addEos, stop);
        String template = md.findString(CHAT_TEMPLATE).orElse(null);
        return new Tokenizer(tokens, types, bpe, pre, normalizesNfc(md, pre), special, template);
    }

    private static boolean normalizesNfc(GgufMetadata md, PreTokenizer pre) {
        String n = md.findString(NORMALIZER).orElse(pre.normalizesNfc() ? "nfc" : "none");
        return switch (n) {
            case "nfc" -> true;
            case "none" -> false;
            default -> throw new UnsupportedModelException("GGUF " + NORMALIZER + " \"" + n + "\" is not supported; supported: nfc, none");
        };
    }

    private static int optId(GgufMetadata md, String key, int vocabSize) {
        if (!md.contains(key)) {
            return -1;
        }
        long id = md.getLong(key);
        if (id < 0 || id >= vocabSize) {
            throw new ModelFormatException("GGUF " + key + " = " + id + " is outside the vocabulary of " + vocabSize);
        }
        return (int) id;
    }
}
