package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A Hugging Face model folder as {@code save_pretrained} writes it: {@code config.json}, the
 * weights as safetensors, and the tokenizer files. All weight files are mapped and validated when
 * the folder is opened; tensors are views into them until {@link #close()}.
 *
 * <p>Weights are looked up in the order transformers uses:
 * <ol>
 *   <li>{@code model.safetensors}, alone (other {@code *.safetensors} files are then ignored);</li>
 *   <li>{@code model.safetensors.index.json}: its {@code weight_map} is the list of tensors. Every
 *       shard it names must exist inside the folder and hold the tensors mapped to it. Tensors a
 *       shard holds that the map does not list are left out: the index is what the checkpoint
 *       declares, and transformers too loads only the keys it expects;</li>
 *   <li>otherwise every {@code *.safetensors} file in the folder, merged; a tensor name found in
 *       two files is an error, as nothing says which one is meant.</li>
 * </ol>
 */
public final class HuggingFaceModelFolder implements TensorSource, AutoCloseable {
    static final String CONFIG = "config.json";
    static final String SINGLE_FILE = "model.safetensors";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String CHAT_TEMPLATE = "chat_template.jinja";
    static final String GENERATION_CONFIG = "generation_config.json";

    private final Path directory;
    private final Map<String, Object> config;
    private final List<SafetensorsFile> files;
    private final Map<String, WeightTensor> tensors;
    private volatile boolean closed;

    private HuggingFaceModelFolder(Path directory, Map<String, Object> config, List<SafetensorsFile> files,
                                   Map<String, WeightTensor> tensors) {
        this.directory = directory;
        this.config = config;
        this.files = files;
        this.tensors = tensors;
    }

    /**
     * Opens the model folder {@code dir}.
     *
     * @throws ModelFormatException      when {@code config.json} or the weights are missing or malformed
     * @throws UnsupportedModelException when the weights exist only as PyTorch pickles, or a tensor
     *                                   has a dtype the engine does not read
     */
    public static HuggingFaceModelFolder open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory; expected a Hugging Face model folder");
        }
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(dir + ": no " + CONFIG + "; a Hugging Face model folder needs one");
        }
        Map<String, Object> config = Collections.unmodifiableMap(Json.parseObject(configFile));

        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, WeightTensor> tensors = loadWeights(dir, opened);
            return new HuggingFaceModelFolder(dir, config, List.copyOf(opened), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException | Error e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static Map<String, WeightTensor> loadWeights(Path dir, List<SafetensorsFile> opened) {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            opened.add(file);
            return tensorsOf(file);
        }
        Path indexFile = dir.resolve(ShardIndex.FILE_NAME);
        if (Files.isRegularFile(indexFile)) {
            return loadSharded(ShardIndex.read(indexFile, dir), opened);
        }
        List<Path> shards = listSafetensors(dir);
        if (shards.isEmpty()) {
            rejectPickleOnly(dir);
            throw new ModelFormatException(dir + ": no model weights; looked for " + SINGLE_FILE + ", "
                    + ShardIndex.FILE_NAME + " and *.safetensors");
        }
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        Map<String, Path> fileOfTensor = new LinkedHashMap<>();
        for (Path shard : shards) {
            SafetensorsFile file = SafetensorsFile.open(shard);
            opened.add(file);
            for (String name : file.tensorNames()) {
                Path earlier = fileOfTensor.putIfAbsent(name, shard);
                if (earlier != null) {
                    throw new ModelFormatException(dir + ": tensor \"" + name + "\" is in both "
                            + earlier.getFileName() + " and " + shard.getFileName() + " (and there is no "
                            + ShardIndex.FILE_NAME + " to choose)");
                }
                tensors.put(name, file.tensor(name));
            }
        }
        return tensors;
    }

    private static Map<String, WeightTensor> loadSharded(ShardIndex index, List<SafetensorsFile> opened) {
        Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : index.shardOfTensor().entrySet()) {
            Path shard = e.getValue();
            SafetensorsFile file = byPath.get(shard);
            if (file == null) {
                if (!Files.isRegularFile(shard)) {
                    throw new ModelFormatException(index.file() + ": shard " + shard.getFileName()
                            + " (holding \"" + e.getKey() + "\") is missing");
                }
                file = SafetensorsFile.open(shard);
                opened.add(file);
                byPath.put(shard, file);
            }
            WeightTensor tensor = file.findTensor(e.getKey()).orElseThrow(() -> new ModelFormatException(
                    index.file() + ": maps \"" + e.getKey() + "\" to " + shard.getFileName() + ", which does not hold it"));
            tensors.put(e.getKey(), tensor);
        }
        return tensors;
    }

    private static Map<String, WeightTensor> tensorsOf(SafetensorsFile file) {
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (String name : file.tensorNames()) {
            tensors.put(name, file.tensor(name));
        }
        return tensors;
    }

    private static List<Path> listSafetensors(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** A folder with only PyTorch pickles is a real model the engine will not read (unsafe to unpickle). */
    private static void rejectPickleOnly(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            Optional<String> pickle = entries.map(p -> p.getFileName().toString())
                    .filter(n -> (n.startsWith("pytorch_model") && (n.endsWith(".bin") || n.endsWith(".bin.index.json")))
                            || n.endsWith(".pt") || n.endsWith(".pth"))
                    .sorted()
                    .findFirst();
            if (pickle.isPresent()) {
                throw new UnsupportedModelException(dir + ": weights are PyTorch pickles (" + pickle.get()
                        + "), which the engine does not read; convert the model to safetensors, e.g. "
                        + "model.save_pretrained(dir, safe_serialization=True) in transformers");
            }
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    public Path directory() { return directory; }

    /** {@code config.json}, parsed (objects are maps, arrays lists, integers longs). */
    public Map<String, Object> config() { return config; }

    /** Tensor names, in the order of the single file's header, or of the index's weight map. */
    public Set<String> tensorNames() {
        checkOpen();
        return tensors.keySet();
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws ModelFormatException when the model has no such tensor
     */
    public WeightTensor tensor(String name) {
        return findTensor(name).orElseThrow(() -> new ModelFormatException(directory + ": model has no tensor \""
                + name + "\""));
    }

    public Optional<WeightTensor> findTensor(String name) {
        checkOpen();
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    public Optional<WeightTensor> find(String name) {
        return findTensor(name);
    }

    @Override
    public Set<String> names() {
        return tensorNames();
    }

    @Override
    public String description() {
        return directory.toString();
    }

    public Optional<Path> tokenizerJson() { return existing(TOKENIZER); }

    public Optional<Path> tokenizerConfigJson() { return existing(TOKENIZER_CONFIG); }

    /**
     * The model's Jinja chat template: {@code chat_template.jinja} when present (transformers 4.43+
     * writes it there), else {@code tokenizer_config.json}'s {@code chat_template}, which is either
     * the template or a list of named templates of which the one called "default" is taken.
     * Empty when the model has no template, or only named ones without a "default".
     */
    public Optional<String> chatTemplate() {
        Optional<Path> jinja = existing(CHAT_TEMPLATE);
        if (jinja.isPresent()) {
            return Optional.of(readUtf8(jinja.get()));
        }
        Optional<Path> tokenizerConfig = tokenizerConfigJson();
        if (tokenizerConfig.isEmpty()) {
            return Optional.empty();
        }
        String source = tokenizerConfig.get().toString();
        Object template = Json.parseObject(tokenizerConfig.get()).get("chat_template");
        return switch (template) {
            case null -> Optional.empty();
            case String s -> Optional.of(s);
            case List<?> named -> defaultOf(named, source);
            default -> throw new ModelFormatException(source + ": \"chat_template\" must be a string or a list of "
                    + "{name, template} objects");
        };
    }

    private static Optional<String> defaultOf(List<?> namedTemplates, String source) {
        for (Object o : namedTemplates) {
            if (!(o instanceof Map<?, ?> m && m.get("name") instanceof String name
                    && m.get("template") instanceof String template)) {
                throw new ModelFormatException(source + ": \"chat_template\" list entries must be {name, template} "
                        + "objects of strings");
            }
            if (name.equals("default")) {
                return Optional.of(template);
            }
        }
        return Optional.empty();
    }

    /** {@code generation_config.json}, parsed, when the folder has one. */
    public Optional<Map<String, Object>> generationConfig() {
        return existing(GENERATION_CONFIG).map(p -> Collections.unmodifiableMap(Json.parseObject(p)));
    }

    /** Unmaps every weight file. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeAll(files, null);
        }
    }

    private Optional<Path> existing(String fileName) {
        Path p = directory.resolve(fileName);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    private static String readUtf8(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new ModelFormatException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Closes every file, even if one fails; failures are attached to {@code pending} or rethrown. */
    private static void closeAll(List<SafetensorsFile> files, Throwable pending) {
        RuntimeException failure = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (RuntimeException e) {
                if (pending != null) {
                    pending.addSuppressed(e);
                } else if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(directory + " is closed");
        }
    }

    @Override
    public String toString() {
        return "HuggingFaceModelFolder[" + directory + ", " + tensors.size() + " tensors in " + files.size() + " files]";
    }
}
