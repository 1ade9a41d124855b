package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} (+ {@code tokenizer_config.json}). Only the pipeline the
 * supported families use is accepted: BPE model, optional NFC normaliser, Split(regex of a known
 * family, Isolated) then ByteLevel without its own regex, ByteLevel decoder, and a post-processor
 * that at most adds BOS/EOS. Anything else is an {@link UnsupportedModelException} naming it, rather
 * than a tokenizer that silently encodes differently from the model's training.
 */
final class HuggingFaceTokenizerLoader {
    private HuggingFaceTokenizerLoader() {
    }

    static Tokenizer load(Path tokenizerJson, Path configOrNull) {
        String src = tokenizerJson.toString();
        Map<String, Object> root = Json.parseObject(tokenizerJson);
        Map<String, Object> config = configOrNull == null ? Map.of() : Json.parseObject(configOrNull);
        String cfgSrc = configOrNull == null ? "tokenizer_config.json" : configOrNull.toString();
        Path dir = (configOrNull != null ? configOrNull : tokenizerJson).toAbsolutePath().getParent();
        String template = chatTemplate(dir, config, cfgSrc);
        return build(root, src, config, cfgSrc, template);
    }

    static Tokenizer build(Map<String, Object> root, String src, Map<String, Object> config, String cfgSrc,
                           String chatTemplate) {
        Map<String, Object> model = JsonValues.object(root, "model", src);
        String type = JsonValues.optString(model, "type", "BPE", src);
        if (!type.equals("BPE")) {
            throw new UnsupportedModelException(src + ": tokenizer model " + type + " is not supported; supported: BPE");
        }
        if (JsonValues.optBoolean(model, "byte_fallback", false, src)) {
            throw new UnsupportedModelException(src + ": BPE with byte_fallback (SentencePiece style) is not supported");
        }
        if (!JsonValues.optString(model, "continuing_subword_prefix", "", src).isEmpty()
                || !JsonValues.optString(model, "end_of_word_suffix", "", src).isEmpty()) {
            throw new UnsupportedModelException(src + ": BPE subword prefixes/suffixes are not supported");
        }
        if (JsonValues.optNumber(model, "dropout", 0, src) != 0) {
            throw new UnsupportedModelException(src + ": BPE dropout is not supported");
        }
        boolean ignoreMerges = JsonValues.optBoolean(model, "ignore_merges", false, src);
        boolean nfc = normalizer(root.get("normalizer"), src);
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), src);
        checkDecoder(root.get("decoder"), src);

        Map<String, Object> vocabJson = JsonValues.object(model, "vocab", src);
        Map<String, Integer> vocab = HashMap.newHashMap(vocabJson.size());
        int size = 0;
        for (Map.Entry<String, Object> e : vocabJson.entrySet()) {
            int id = id(e.getValue(), "vocab entry \"" + e.getKey() + "\"", src);
            vocab.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }
        List<Object> added = root.get("added_tokens") == null ? List.of() : JsonValues.array(root, "added_tokens", src);
        for (Object o : added) {
            size = Math.max(size, id(asObject(o, "added token", src).get("id"), "added token id", src) + 1);
        }
        String[] tokens = new String[size];
        TokenType[] types = new TokenType[size];
        java.util.Arrays.fill(types, TokenType.UNUSED);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (tokens[e.getValue()] != null) {
                throw new ModelFormatException(src + ": vocabulary id " + e.getValue() + " is used twice");
            }
            tokens[e.getValue()] = e.getKey();
            types[e.getValue()] = TokenType.NORMAL;
        }
        Map<String, Integer> addedIds = new HashMap<>();
        for (Object o : added) {
            Map<String, Object> t = asObject(o, "added token", src);
            int id = id(t.get("id"), "added token id", src);
            String content = JsonValues.string(t, "content", src);
            tokens[id] = content;
            types[id] = JsonValues.optBoolean(t, "special", false, src) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            addedIds.put(content, id);
        }

        List<Object> mergesJson = JsonValues.array(model, "merges", src);
        List<String[]> pairs = new ArrayList<>(mergesJson.size());
        for (Object m : mergesJson) {
            pairs.add(mergePair(m, src));
        }
        BpeModel bpe = new BpeModel(vocab, Tokenizer.mergeTable(pairs, vocab, src), ignoreMerges, src);

        int[][] template = postProcessor(root.get("post_processor"), src);
        int bos = tokenFromConfig(config, "bos_token", addedIds, vocab, cfgSrc);
        int eos = tokenFromConfig(config, "eos_token", addedIds, vocab, cfgSrc);
        int pad = tokenFromConfig(config, "pad_token", addedIds, vocab, cfgSrc);
        if (bos < 0 && template[0].length == 1) {
            bos = template[0][0];
        }
        if (eos < 0 && template[1].length == 1) {
            eos = template[1][0];
        }
        boolean addBos = addsOnly(template[0], bos, "prefix", src);
        boolean addEos = addsOnly(template[1], eos, "suffix", src);

        int eot = -1;
        for (String name : SpecialTokens.END_OF_TURN) {
            Integer id = addedIds.get(name);
            if (id != null && types[id] == TokenType.CONTROL) {
                eot = id;
                break;
            }
        }
        List<Integer> stop = new ArrayList<>();
        for (String name : SpecialTokens.END_MARKERS) {
            Integer id = addedIds.get(name);
            if (id != null && types[id] == TokenType.CONTROL) {
                stop.add(id);
            }
        }
        if (eos >= 0) {
            stop.add(eos);
        }
        if (eot >= 0) {
            stop.add(eot);
        }
        SpecialTokens special = new SpecialTokens(bos, eos, eot, pad, addBos, addEos, stop);
        return new Tokenizer(tokens, types, bpe, pre, nfc, special, chatTemplate);
    }

    private static boolean addsOnly(int[] ids, int expected, String where, String src) {
        if (ids.length == 0) {
            return false;
        }
        if (ids.length == 1 && ids[0] == expected) {
            return true;
        }
        throw new UnsupportedModelException(src + ": post-processor " + where + " " + java.util.Arrays.toString(ids)
                + " is not just the BOS/EOS token; not supported");
    }

    private static String chatTemplate(Path dir, Map<String, Object> config, String cfgSrc) {
        Path file = dir == null ? null : dir.resolve("chat_template.jinja");
        if (file != null && Files.isRegularFile(file)) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
            }
        }
        Object t = config.get("chat_template");
        if (t == null || t instanceof String) {
            return (String) t;
        }
        if (t instanceof List<?> named) { // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            for (Object o : named) {
                Map<String, Object> m = asObject(o, "chat_template entry", cfgSrc);
                if ("default".equals(m.get("name"))) {
                    return JsonValues.string(m, "template", cfgSrc);
                }
            }
            return null;
        }
        throw new ModelFormatException(cfgSrc + ": \"chat_template\" must be a string or a list of named templates");
    }

    private static int tokenFromConfig(Map<String, Object> config, String key, Map<String, Integer> added,
                                       Map<String, Integer> vocab, String cfgSrc) {
        Object v = config.get(key);
        if (v instanceof Map<?, ?> m) {
            v = m.get("content");
        }
        if (v == null) {
            return -1;
        }
        if (!(v instanceof String name)) {
            throw new ModelFormatException(cfgSrc + ": \"" + key + "\" must be a string");
        }
        Integer id = added.get(name);
        if (id == null) {
            id = vocab.get(name);
        }
        if (id == null) {
            throw new ModelFormatException(cfgSrc + ": " + key + " \"" + name + "\" is not in the vocabulary");
        }
        return id;
    }

    private static boolean normalizer(Object n, String src) {
        if (n == null) {
            return false;
        }
        Map<String, Object> m = asObject(n, "normalizer", src);
        String type = JsonValues.string(m, "type", src);
        if (type.equals("NFC")) {
            return true;
        }
        if (type.equals("Sequence")) {
            boolean nfc = false;
            for (Object o : JsonValues.array(m, "normalizers", src)) {
                nfc |= normalizer(o, src);
            }
            return nfc;
        }
        throw new UnsupportedModelException(src + ": normalizer " + type + " is not supported; supported: NFC");
    }

    private static PreTokenizer preTokenizer(Object p, String src) {
        Map<String, Object> m = p == null ? null : asObject(p, "pre_tokenizer", src);
        List<Object> steps = m != null && "Sequence".equals(m.get("type"))
                ? JsonValues.array(m, "pretokenizers", src) : null;
        if (steps != null && steps.size() == 2) {
            Map<String, Object> split = asObject(steps.get(0), "pre_tokenizer", src);
            Map<String, Object> byteLevel = asObject(steps.get(1), "pre_tokenizer", src);
            if ("Split".equals(split.get("type")) && "Isolated".equals(split.get("behavior"))
                    && !JsonValues.optBoolean(split, "invert", false, src)
                    && "ByteLevel".equals(byteLevel.get("type"))
                    && !JsonValues.optBoolean(byteLevel, "add_prefix_space", false, src)
                    && !JsonValues.optBoolean(byteLevel, "use_regex", true, src)) {
                Map<String, Object> pattern = JsonValues.object(split, "pattern", src);
                String regex = JsonValues.optString(pattern, "Regex", null, src);
                PreTokenizer pre = regex == null ? null : PreTokenizer.forRegex(regex);
                if (pre != null) {
                    return pre;
                }
                throw new UnsupportedModelException(src + ": pre-tokenizer split pattern " + pattern
                        + " is not a supported family's; supported: " + PreTokenizer.supportedNames());
            }
        }
        throw new UnsupportedModelException(src + ": pre-tokenizer " + p + " is not supported; supported: "
                + "Sequence[Split(regex of " + PreTokenizer.supportedNames() + ", Isolated), ByteLevel(use_regex=false)]");
    }

    private static void checkDecoder(Object d, String src) {
        if (d != null && !"ByteLevel".equals(asObject(d, "decoder", src).get("type"))) {
            throw new UnsupportedModelException(src + ": decoder " + asObject(d, "decoder", src).get("type")
                    + " is not supported; supported: ByteLevel");
        }
    }

    /** The post-processor's special tokens before and after the text, for a single sequence. */
    private static int[][] postProcessor(Object p, String src) {
        int[][] none = {new int[0], new int[0]};
        if (p == null) {
            return none;
        }
        Map<String, Object> m = asObject(p, "post_processor", src);
        String type = JsonValues.string(m, "type", src);
        switch (type) {
            case "ByteLevel" -> {
                return none; // offsets only
            }
            case "Sequence" -> {
                int[][] acc = none;
                for (Object o : JsonValues.array(m, "processors", src)) {
                    int[][] step = postProcessor(o, src);
                    if (step[0].length + step[1].length > 0) {
                        if (acc[0].length + acc[1].length > 0) {
                            throw new UnsupportedModelException(src + ": several post-processors add tokens; not supported");
                        }
                        acc = step;
                    }
                }
                return acc;
            }
            case "TemplateProcessing" -> {
                Map<String, Object> specials = JsonValues.object(m, "special_tokens", src);
                List<Integer> before = new ArrayList<>();
                List<Integer> after = new ArrayList<>();
                boolean seenSequence = false;
                for (Object o : JsonValues.array(m, "single", src)) {
                    Map<String, Object> item = asObject(o, "template item", src);
                    if (item.containsKey("Sequence")) {
                        seenSequence = true;
                        continue;
                    }
                    Map<String, Object> st = JsonValues.object(item, "SpecialToken", src);
                    String name = JsonValues.string(st, "id", src);
                    Map<String, Object> def = JsonValues.object(specials, name, src);
                    for (Object id : JsonValues.array(def, "ids", src)) {
                        (seenSequence ? after : before).add(id(id, "special token id", src));
                    }
                }
                return new int[][] {before.stream().mapToInt(Integer::intValue).toArray(),
                        after.stream().mapToInt(Integer::intValue).toArray()};
            }
            default -> throw new UnsupportedModelException(src + ": post-processor " + type
                    + " is not supported; supported: ByteLevel, TemplateProcessing, Sequence");
        }
    }

    private static String[] mergePair(Object m, String src) {
        if (m instanceof String s) {
            int sp = s.indexOf(' ');
            if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0) {
                throw new ModelFormatException(src + ": merge \"" + s + "\" is not two tokens separated by one space");
            }
            return new String[] {s.substring(0, sp), s.substring(sp + 1)};
        }
        if (m instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
            return new String[] {a, b};
        }
        throw new ModelFormatException(src + ": a merge must be \"a b\" or [\"a\", \"b\"], found " + m);
    }

    private static int id(Object v, String what, String src) {
        if (v instanceof Long l && l >= 0 && l < Integer.MAX_VALUE) {
            return (int) (long) l;
        }
        throw new ModelFormatException(src + ": " + what + " must be a non-negative integer, found " + v);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object o, String what, String src) {
        if (o instanceof Map<?, ?>) {
            return (Map<String, Object>) o;
        }
        throw new ModelFormatException(src + ": " + what + " must be an object");
    }
}
