package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.NonFiniteLogitsException;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.OptionalOp;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.spts.SkipPlan;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.inference.spts.SptsPrefill;
import dev.sptsrag.inference.spts.ltp.DeviceLowRankProxy;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.tokenizer.TokenStreamDecoder;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * A model on a backend, ready to generate: weights uploaded, the paged KV cache and every working buffer
 * allocated up front. Its {@link ContinuousBatcher} runs up to {@link BatchSettings#maxSequences} generations
 * together, step by step; {@link #generate} runs one request on its own (admit it, step until it ends), for
 * callers that serve one sequence at a time (the CLI, evaluation). The service's scheduler drives
 * {@link #batcher()} itself, on one thread.
 */
public final class InferenceEngine implements AutoCloseable {
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final DeviceModel model;
    private final ForwardPass forward;
    private final KvCache cache;
    private final ContinuousBatcher batcher;
    private volatile DeviceMemoryPlan memoryPlan; // grows by the LTP proxy; read by health checks on other threads
    private SptsPrefill spts;
    private DeviceLowRankProxy proxy;
    private final int[] batchTokens;
    private final int[] batchPositions;
    private final int contextLength;
    private int sequence = -1; // the cache sequence of the latest lone request, kept for teacher forcing

    /** An engine for one generation at a time ({@link BatchSettings#SINGLE}). */
    public InferenceEngine(ModelConfig config, ModelWeights weights, Tokenizer tokenizer, Backend backend,
                           int contextLength, int batchSize, IntConsumer loadProgress) {
        this(config, weights, tokenizer, backend, contextLength, batchSize, BatchSettings.SINGLE, loadProgress);
    }

    /**
     * @param contextLength tokens one sequence may hold (≤ the model's context length)
     * @param batchSize     tokens per step (prefill chunks plus decode rows); 0 for the backend's preferred size;
     *                      at least {@code batch.maxSequences()}
     * @throws dev.sptsrag.inference.DeviceOutOfMemoryException when the plan does not fit the backend's memory
     */
    public InferenceEngine(ModelConfig config, ModelWeights weights, Tokenizer tokenizer, Backend backend,
                           int contextLength, int batchSize, BatchSettings batch, IntConsumer loadProgress) {
        if (contextLength <= 0 || contextLength > config.contextLength()) {
            throw new IllegalArgumentException("context length " + contextLength + " must be in 1.."
                    + config.contextLength() + " for " + config.name());
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.contextLength = contextLength;
        if (batchSize < 0) {
            throw new IllegalArgumentException("batch size must not be negative: " + batchSize);
        }
        int sequences = batch.maxSequences();
        int rows = Math.max(sequences, Math.min(batchSize == 0 ? backend.preferredBatch() : batchSize, contextLength));
        this.memoryPlan = DeviceMemoryPlan.of(config, backend, contextLength, rows, batch);
        memoryPlan.requireFits();
        this.model = DeviceModel.upload(config, weights, backend, loadProgress);
        this.forward = new ForwardPass(model, rows, sequences);
        this.cache = new KvCache(config, backend, sequences, contextLength, memoryPlan.kvBlocks(),
                KvCache.DEFAULT_BLOCK_SIZE);
        this.batcher = new ContinuousBatcher(config, tokenizer, forward, cache, this::spts, contextLength,
                batch.prefixCache());
        this.batchTokens = new int[rows];
        this.batchPositions = new int[rows];
    }

    public ModelConfig config() { return config; }

    public Tokenizer tokenizer() { return tokenizer; }

    public Backend backend() { return backend; }

    public int contextLength() { return contextLength; }

    public DeviceModel deviceModel() { return model; }

    public KvCache cache() { return cache; }

    /** The batcher that runs generations together; drive it from one thread, as {@link #generate} does. */
    public ContinuousBatcher batcher() { return batcher; }

    /** The cache sequence of the latest {@link #generate} or {@link #allLogits} (-1 before the first). */
    public int sequence() { return sequence; }

    /** What this engine holds on its backend, as planned before loading. */
    public DeviceMemoryPlan memoryPlan() { return memoryPlan; }

    /**
     * Generates a continuation of the request's prompt on its own: the engine must have no other generation
     * running. Its cache sequence stays filled afterwards ({@link #lastLogits}, {@link #decode}) until the
     * next request.
     *
     * @throws ContextLengthExceededException when the prompt leaves no room to generate
     * @throws NonFiniteLogitsException when the model's logits hold a NaN or an infinity (broken weights)
     */
    public synchronized GenerationResult generate(GenerationRequest request, TokenListener listener) {
        batcher.validate(request);
        if (batcher.running() > 0) {
            throw new IllegalStateException("generate runs one request alone; " + batcher.running()
                    + " generations are running on the batcher");
        }
        releaseSequence();
        Generation g = batcher.admit(request, listener);
        if (g == null) {
            throw new IllegalStateException("the KV cache cannot hold a prompt of " + request.promptTokens().length
                    + " tokens");
        }
        g.retainCache = true;
        sequence = g.sequence;
        try {
            while (!g.isDone()) {
                batcher.step();
            }
        } catch (RuntimeException | Error e) {
            batcher.cancel(g); // leaves the batcher free for the next request; the sequence goes with it
            throw e;
        }
        backend.synchronize();
        return g.result();
    }

    /**
     * The SPTS prefill's buffers, for the whole context: allocated at the first request with a skip
     * budget, so an engine that never skips does not pay for them.
     */
    private SptsPrefill spts() {
        if (spts == null) {
            spts = new SptsPrefill(model, contextLength);
            spts.useProxy(proxy);
        }
        return spts;
    }
    /**
     * Uses {@code proxy} (calibrated for this model, see {@code spts calibrate}) to choose FFN rows in
     * skip modes PAP_LTP and SPTS; null goes back to ranking them by the attention probe. Its factors
     * are uploaded to the backend here. A backend without {@link OptionalOp#LTP_ON_DEVICE} takes no proxy
     * (the documented fallback: FFN rows ranked by the probe).
     *
     * @return whether the proxy is in use: false for null, or when the backend lacks LTP on the device
     */
    public synchronized boolean useLowRankProxy(LowRankProxy lowRank) {
        boolean usable = lowRank != null && backend.supports(OptionalOp.LTP_ON_DEVICE);
        if (usable) {
            // Scored all at once (no chunks): its buffers hold the whole context's candidates, planned first.
            DeviceMemoryPlan plan = memoryPlan.withProxy(DeviceLowRankProxy.bytes(lowRank.shape(), backend, contextLength));
            plan.requireFits();
            memoryPlan = plan;
        }
        this.proxy = usable ? new DeviceLowRankProxy(lowRank, backend, contextLength) : null;
        if (spts != null) {
            spts.useProxy(proxy);
        }
        return usable;
    }

    /** Logits after the last token the engine processed (the prompt's last, or the last decoded one). */
    public synchronized void lastLogits(float[] dst) {
        forward.logits(forward.batchRows() - 1, dst);
    }

    /**
     * Runs one token at {@code position} through the model after the sequence in the cache (teacher
     * forcing, for evaluation); {@link #lastLogits} then gives the logits that follow it.
     */
    public synchronized void decode(int token, int position) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (" + config.vocabSize() + ")");
        }
        if (sequence < 0) {
            throw new IllegalStateException("decode before any prompt");
        }
        batchTokens[0] = token;
        batchPositions[0] = position;
        forward.forward(batchTokens, batchPositions, 1, sequence, cache);
    }

    /** Frees the cache sequence a lone request kept. */
    private void releaseSequence() {
        if (sequence >= 0) {
            cache.release(sequence);
            sequence = -1;
        }
    }

    /**
     * Teacher-forced logits for every position of {@code tokens}: prefill in batches, logits of each
     * row. For conformance tests and evaluation; {@code out[i]} receives the logits after token i.
     */
    public synchronized void allLogits(int[] tokens, float[][] out) {
        if (tokens.length > contextLength) {
            throw new ContextLengthExceededException(tokens.length, 0, contextLength);
        }
        if (batcher.running() > 0) {
            throw new IllegalStateException("allLogits runs alone; generations are running on the batcher");
        }
        releaseSequence();
        sequence = cache.open();
        for (int at = 0; at < tokens.length; at += batchTokens.length) {
            int n = Math.min(batchTokens.length, tokens.length - at);
            System.arraycopy(tokens, at, batchTokens, 0, n);
            for (int i = 0; i < n; i++) {
                batchPositions[i] = at + i;
            }
            forward.forward(batchTokens, batchPositions, n, sequence, cache);
            for (int i = 0; i < n; i++) {
                forward.logits(i, out[at + i]);
            }
        }
    }

    @Override
    public void close() {
        backend.close();
    }
}
