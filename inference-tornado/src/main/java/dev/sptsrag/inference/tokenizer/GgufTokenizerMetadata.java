package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.gguf.GgufArray;
import dev.sptsrag.inference.gguf.GgufMetadata;
import dev.sptsrag.inference.gguf.GgufValueType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} GGUF metadata of a tokenizer, in the layout llama.cpp's converter writes for
 * byte-level BPE: every id in order (added tokens included, holes as {@code [PAD<id>]} of type
 * UNUSED), token types, merges as {@code "left right"}, the pre-tokenizer name, the special ids and
 * the chat template. Where the tokenizer's normalisation or ignore-merges flag is not the one its
 * pre name implies (llama.cpp has no key for them), our own {@code tokenizer.spts.normalizer} /
 * {@code tokenizer.spts.ignore_merges} say so; real Llama 3 and Qwen tokenizers need neither. So
 * {@link Tokenizer#fromGguf} of the result always encodes like the source tokenizer.
 */
public final class GgufTokenizerMetadata {
    private GgufTokenizerMetadata() {
    }

    public static GgufMetadata of(Tokenizer tokenizer) {
        PreTokenizer pre = tokenizer.preTokenizer();
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        put(values, types, GgufTokenizerLoader.MODEL, "gpt2", GgufValueType.STRING);
        put(values, types, GgufTokenizerLoader.PRE, pre.ggufName(), GgufValueType.STRING);

        int n = tokenizer.vocabSize();
        List<Object> tokens = new ArrayList<>(n);
        List<Object> tokenTypes = new ArrayList<>(n);
        for (int id = 0; id < n; id++) {
            String text = tokenizer.tokenText(id);
            TokenType type = tokenizer.tokenType(id);
            tokens.add(text == null ? "[PAD" + id + "]" : text);
            tokenTypes.add(text == null ? TokenType.UNUSED.ggufCode() : type.ggufCode());
        }
        put(values, types, GgufTokenizerLoader.TOKENS, new GgufArray(GgufValueType.STRING, tokens), GgufValueType.ARRAY);
        put(values, types, GgufTokenizerLoader.TOKEN_TYPE, new GgufArray(GgufValueType.INT32, tokenTypes), GgufValueType.ARRAY);
        put(values, types, GgufTokenizerLoader.MERGES,
                new GgufArray(GgufValueType.STRING, new ArrayList<>(tokenizer.merges())), GgufValueType.ARRAY);

        SpecialTokens s = tokenizer.specialTokens();
        putId(values, types, GgufTokenizerLoader.BOS, s.bos());
        putId(values, types, GgufTokenizerLoader.EOS, s.eos());
        putId(values, types, GgufTokenizerLoader.EOT, s.eot());
        putId(values, types, GgufTokenizerLoader.PAD, s.pad());
        put(values, types, GgufTokenizerLoader.ADD_BOS, s.addBos(), GgufValueType.BOOL);
        put(values, types, GgufTokenizerLoader.ADD_EOS, s.addEos(), GgufValueType.BOOL);
        if (tokenizer.normalizesNfc() != pre.normalizesNfc()) {
            put(values, types, GgufTokenizerLoader.NORMALIZER, tokenizer.normalizesNfc() ? "nfc" : "none", GgufValueType.STRING);
        }
        if (tokenizer.ignoresMerges() != pre.ignoresMergesByDefault()) {
            put(values, types, GgufTokenizerLoader.IGNORE_MERGES, tokenizer.ignoresMerges(), GgufValueType.BOOL);
        }
        tokenizer.chatTemplateSource().ifPresent(t ->
                put(values, types, GgufTokenizerLoader.CHAT_TEMPLATE, t, GgufValueType.STRING));
        return new GgufMetadata(values, types);
    }

    private static void putId(Map<String, Object> values, Map<String, GgufValueType> types, String key, int id) {
        if (id >= 0) {
            put(values, types, key, (long) id, GgufValueType.UINT32);
        }
    }

    private static void put(Map<String, Object> values, Map<String, GgufValueType> types, String key, Object v,
                            GgufValueType t) {
        values.put(key, v);
        types.put(key, t);
    }
}
