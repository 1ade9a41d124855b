package dev.sptsrag.service.ops;

import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;

import java.time.Instant;

/**
 * A model opened from disk and the engine running it: what {@link EngineScheduler} owns. The model's
 * tokenizer and chat template are thread-safe and may be used by any thread; the engine only by the
 * scheduler's worker.
 *
 * @param modelId  the name the model is served under (OpenAI's {@code model} field)
 * @param loadedAt when the engine became ready
 */
public record LoadedEngine(String modelId, LoadedModel model, InferenceEngine engine, Instant loadedAt)
        implements AutoCloseable {

    /** Frees the device memory, then unmaps the model file. */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            model.close();
        }
    }
}
