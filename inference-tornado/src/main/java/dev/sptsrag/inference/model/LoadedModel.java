package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.gguf.GgufFile;
import dev.sptsrag.inference.safetensors.HuggingFaceModelFolder;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tokenizer.ChatTemplate;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model read from disk (a GGUF file or a Hugging Face folder) or made up from a preset: its
 * configuration, its tensors (still in the file's types, memory-mapped), its tokenizer and chat
 * template. Closing it unmaps the file; device copies made from it live on in their backend.
 */
public final class LoadedModel implements AutoCloseable {
    private final Path path;
    private final String format;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final AutoCloseable resource;

    private LoadedModel(Path path, String format, ModelConfig config, ModelWeights weights, Tokenizer tokenizer,
                        ChatTemplate chatTemplate, AutoCloseable resource) {
        this.path = path;
        this.format = format;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.resource = resource;
    }

    /** Opens a {@code .gguf} file or a Hugging Face model folder. */
    public static LoadedModel open(Path path) {
        if (Files.isDirectory(path)) {
            return openHuggingFace(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException("no model at " + path + " (expected a .gguf file or a Hugging Face folder)");
        }
        return openGguf(path);
    }

    private static LoadedModel openGguf(Path path) {
        GgufFile file;
        try {
            file = GgufFile.open(path);
        } catch (java.io.IOException e) {
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
        try {
            String stem = path.getFileName().toString().replaceFirst("\\.gguf$", "");
            ModelConfig config = GgufConfigReader.read(file.metadata(), file, stem);
            ModelWeights weights = ModelWeights.load(config, file, TensorNaming.GGUF);
            Tokenizer tokenizer = Tokenizer.fromGguf(file.metadata());
            ChatTemplate template = file.metadata().findString("tokenizer.chat_template")
                    .map(t -> ChatTemplate.of(t, tokenText(tokenizer, tokenizer.specialTokens().bos()),
                            tokenText(tokenizer, tokenizer.specialTokens().eos())))
                    .orElse(null);
            return new LoadedModel(path, "GGUF v" + file.version(), config, weights, tokenizer, template, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static LoadedModel openHuggingFace(Path dir) {
        HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(dir);
        try {
            ModelConfig config = HuggingFaceConfigReader.read(folder.config(), dir.getFileName().toString(),
                    dir.resolve("config.json").toString());
            ModelWeights weights = ModelWeights.load(config, folder, TensorNaming.HUGGING_FACE);
            Path tokenizerJson = folder.tokenizerJson().orElseThrow(() -> new ModelFormatException(
                    dir + ": no tokenizer.json"));
            Tokenizer tokenizer = Tokenizer.fromHuggingFace(tokenizerJson, folder.tokenizerConfigJson().orElse(null));
            ChatTemplate template = folder.chatTemplate()
                    .map(t -> ChatTemplate.of(t, tokenText(tokenizer, tokenizer.specialTokens().bos()),
                            tokenText(tokenizer, tokenizer.specialTokens().eos())))
                    .orElse(null);
            return new LoadedModel(dir, "Hugging Face safetensors", config, weights, tokenizer, template, folder);
        } catch (RuntimeException e) {
            folder.close();
            throw e;
        }
    }

    /** A preset's shapes with deterministic pseudo-random weights and no tokenizer (benchmarks). */
    public static LoadedModel synthetic(String preset, long seed) {
        return synthetic(preset, seed, GgmlType.F32);
    }

    /** As {@link #synthetic(String, long)} with matrices stored as {@code matrixType} (F32 or BF16). */
    public static LoadedModel synthetic(String preset, long seed, GgmlType matrixType) {
        ModelConfig config = ModelPresets.get(preset);
        SyntheticWeights w = SyntheticWeights.generate(config, seed, matrixType);
        return new LoadedModel(null, "synthetic", config, w.weights(config), null, null, w);
    }

    private static String tokenText(Tokenizer t, int id) {
        return id >= 0 ? t.tokenText(id) : null;
    }

    /** The file or folder, or null for a synthetic model. */
    public Path path() { return path; }

    /** "GGUF v3", "Hugging Face safetensors" or "synthetic". */
    public String format() { return format; }

    public ModelConfig config() { return config; }

    public ModelWeights weights() { return weights; }

    /** The tokenizer, or null for a synthetic model. */
    public Tokenizer tokenizer() { return tokenizer; }

    /** The model's chat template, or null when the file carries none. */
    public ChatTemplate chatTemplate() { return chatTemplate; }

    @Override
    public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + path + ": " + e.getMessage(), e);
        }
    }
}
