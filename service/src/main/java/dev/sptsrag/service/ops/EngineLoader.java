package dev.sptsrag.service.ops;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendChoice;
import dev.sptsrag.inference.engine.BatchSettings;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.function.Supplier;

/** Opens the model and starts the engine; {@link EngineScheduler} calls it once, on its worker thread. */
@FunctionalInterface
public interface EngineLoader {

    LoadedEngine load();

    /**
     * Where and how to run a model.
     *
     * @param modelPath     a {@code .gguf} file or a Hugging Face folder
     * @param modelId       the served name; null for the file or folder name
     * @param backend       {@code auto}, {@code cpu} or {@code cuda}
     * @param threads       CPU threads (≤ 0: all processors)
     * @param contextLength KV cache size in tokens (≤ 0: the model's, capped at 8192)
     * @param batch         tokens per engine step (≤ 0: the backend's choice)
     * @param maxSequences  requests generated together (≥ 1)
     * @param kvCacheTokens tokens the shared KV cache holds per layer (≤ 0: a context per sequence, or what fits)
     * @param prefixCache   reuse the KV blocks of prompt prefixes seen before (requests without a skip budget)
     */
    record Settings(Path modelPath, String modelId, String backend, int threads, int contextLength, int batch,
                    int maxSequences, int kvCacheTokens, boolean prefixCache) {
        /** One request at a time, the cache for one context, no prefix reuse. */
        public Settings(Path modelPath, String modelId, String backend, int threads, int contextLength, int batch) {
            this(modelPath, modelId, backend, threads, contextLength, batch, 1, 0, false);
        }

        Settings withModelPath(Path path) {
            return new Settings(path, modelId, backend, threads, contextLength, batch, maxSequences, kvCacheTokens,
                    prefixCache);
        }
    }

    /** The engine's own loading: model files, backend choice, memory plan checked before anything is allocated. */
    static EngineLoader of(Settings s) {
        return of(s, () -> {
            throw new NoModelException("no model configured: set spring.ai.spts.chat.model-path to a .gguf file "
                    + "or a Hugging Face folder");
        });
    }

    /**
     * As {@link #of(Settings)}, with {@code defaultModel} asked for the model when the settings name none. It
     * runs on the worker thread, so a default that takes time to provide (a file to extract) does not hold up
     * the application's start; it throws {@link NoModelException} when there is none.
     */
    static EngineLoader of(Settings configured, Supplier<Path> defaultModel) {
        return () -> {
            Logger log = LoggerFactory.getLogger(EngineLoader.class);
            Settings s = configured.modelPath() != null ? configured : configured.withModelPath(defaultModel.get());
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                throw new IllegalStateException("the engine needs the Vector API: start the JVM with "
                        + "--add-modules jdk.incubator.vector");
            }
            BackendChoice choice = BackendChoice.parse(s.backend() == null ? "auto" : s.backend());
            LoadedModel model = LoadedModel.open(s.modelPath());
            try {
                if (model.tokenizer() == null) {
                    throw new IllegalStateException(s.modelPath() + " has no tokenizer");
                }
                int modelContext = model.config().contextLength();
                int context = s.contextLength() > 0 ? Math.min(s.contextLength(), modelContext) : Math.min(modelContext, 8192);
                Backend backend = choice.create(s.threads(), log::info);
                InferenceEngine engine;
                try {
                    engine = new InferenceEngine(model.config(), model.weights(), model.tokenizer(), backend, context,
                            Math.max(0, s.batch()), new BatchSettings(Math.max(1, s.maxSequences()),
                                    Math.max(0, s.kvCacheTokens()), s.prefixCache()), layer -> { });
                } catch (RuntimeException e) {
                    backend.close();
                    throw e;
                }
                String id = s.modelId() != null && !s.modelId().isBlank() ? s.modelId()
                        : s.modelPath().getFileName().toString().replaceFirst("\\.gguf$", "");
                log.info("model {} ({}, {}) on {}, context {} tokens, {} sequences together; memory plan: {}", id,
                        model.config().name(), model.format(), backend.description(), context,
                        engine.cache().sequences(), engine.memoryPlan());
                return new LoadedEngine(id, model, engine, java.time.Instant.now());
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        };
    }
}
