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
 * A model on a backend, ready to generate: weights uploaded, the KV cache for the whole context
 * window and every working buffer allocated up front. It serves one sequence at a time (the
 * service's scheduler owns concurrency); each {@link #generate} prefills the prompt in batches,
 * then decodes token by token, streaming text to a {@link TokenListener}.
 */
public final class InferenceEngine implements AutoCloseable {
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final DeviceModel model;
    private final ForwardPass forward;
    private final KvCache cache;
    private final Sampler sampler;
    private final TokenHistory history;
    private final float[] logits;
    private final int[] candidateIds = new int[Sampler.MAX_DEVICE_CANDIDATES];
    private final float[] candidateValues = new float[Sampler.MAX_DEVICE_CANDIDATES];
    private volatile DeviceMemoryPlan memoryPlan; // grows by the LTP proxy; read by health checks on other threads
    private SptsPrefill spts;
    private DeviceLowRankProxy proxy;
    private final int[] batchTokens;
    private final int[] batchPositions;
    private final int contextLength;

    /**
     * @param contextLength tokens the KV cache holds (≤ the model's context length)
     * @param batchSize     prefill batch size (tokens per forward call); 0 for the backend's preferred size
     * @throws dev.sptsrag.inference.DeviceOutOfMemoryException when the plan does not fit the backend's memory
     */
    public InferenceEngine(ModelConfig config, ModelWeights weights, Tokenizer tokenizer, Backend backend,
                           int contextLength, int batchSize, IntConsumer loadProgress) {
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
        int batch = Math.min(batchSize == 0 ? backend.preferredBatch() : batchSize, contextLength);
        this.memoryPlan = DeviceMemoryPlan.of(config, backend, contextLength, batch);
        memoryPlan.requireFits();
        this.model = DeviceModel.upload(config, weights, backend, loadProgress);
        this.forward = new ForwardPass(model, batch);
        this.cache = new KvCache(config, backend, contextLength);
        this.sampler = new Sampler(config.vocabSize());
        this.history = new TokenHistory(config.vocabSize());
        this.logits = new float[config.vocabSize()];
        this.batchTokens = new int[batch];
        this.batchPositions = new int[batch];
    }

    public ModelConfig config() { return config; }

    public Tokenizer tokenizer() { return tokenizer; }

    public Backend backend() { return backend; }

    public int contextLength() { return contextLength; }

    public DeviceModel deviceModel() { return model; }

    public KvCache cache() { return cache; }

    /** What this engine holds on its backend, as planned before loading. */
    public DeviceMemoryPlan memoryPlan() { return memoryPlan; }

    /**
     * Generates a continuation of the request's prompt.
     *
     * @throws ContextLengthExceededException when the prompt leaves no room to generate
     * @throws NonFiniteLogitsException when the model's logits hold a NaN or an infinity (broken weights)
     */
    public synchronized GenerationResult generate(GenerationRequest request, TokenListener listener) {
        long start = System.nanoTime();
        int[] prompt = request.promptTokens();
        SamplingOptions options = request.sampling();
        if (prompt.length >= contextLength) {
            throw new ContextLengthExceededException(prompt.length, options.maxTokens(), contextLength);
        }
        for (int t : prompt) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (" + config.vocabSize() + ")");
            }
        }
        cache.clear();
        history.reset();
        history.addPrompt(prompt, prompt.length);
        long seed = options.seed() != null ? options.seed() : new SecureRandom().nextLong();
        sampler.reset(options, seed);

        SkipPlan plan = SkipPlan.resolve(request.skipBudget(), config, prompt.length);
        SkipStatistics skipped = null;
        if (plan.skipsAny()) {
            skipped = spts().run(prompt, plan, cache);
            forward.adoptHiddenState(spts.hiddenStates(), prompt.length - 1);
        } else {
            prefill(prompt);
        }
        backend.synchronize(); // a GPU runs the prefill asynchronously: time its end, not its issue
        long prefillEnd = System.nanoTime();

        TokenStreamDecoder decoder = tokenizer != null ? tokenizer.newStreamDecoder() : null;
        StopStringMatcher stops = new StopStringMatcher(options.stopStrings());
        StringBuilder text = new StringBuilder();
        int[] generated = new int[Math.min(options.maxTokens(), contextLength - prompt.length)];
        int count = 0;
        FinishReason reason = FinishReason.LENGTH;
        long firstToken = 0;
        int position = prompt.length;
        int candidates = sampler.deviceCandidates();
        while (true) {
            int token = nextToken(candidates);
            if (token < 0) {
                throw new NonFiniteLogitsException(count + 1);
            }
            if (count == 0) {
                firstToken = System.nanoTime();
            }
            if (tokenizer != null && tokenizer.specialTokens().isEndOfGeneration(token)) {
                reason = FinishReason.STOP;
                break;
            }
            generated[count++] = token;
            history.addGenerated(token);
            String delta = decoder != null ? stops.accept(decoder.append(token)) : "";
            text.append(delta);
            if (!listener.onToken(token, delta)) {
                reason = FinishReason.CANCELLED;
                break;
            }
            if (stops.stopped()) {
                reason = FinishReason.STOP;
                break;
            }
            if (count == generated.length) {
                reason = FinishReason.LENGTH;
                break;
            }
            batchTokens[0] = token;
            batchPositions[0] = position++;
            forward.forward(batchTokens, batchPositions, 1, cache);
        }
        if (reason != FinishReason.CANCELLED && decoder != null) {
            String tail = stops.accept(decoder.flush()) + stops.flush();
            if (!tail.isEmpty()) {
                text.append(tail);
                listener.onToken(-1, tail);
            }
        }
        long end = System.nanoTime();
        if (firstToken == 0) {
            firstToken = end;
        }
        GenerationMetrics metrics = new GenerationMetrics(prompt.length, count, prefillEnd - start,
                firstToken - start, end - firstToken);
        PrefillFlops flops = skipped != null ? skipped.flops() : PrefillFlops.full(config, prompt.length);
        return new GenerationResult(text.toString(), Arrays.copyOf(generated, count), reason, metrics, skipped, flops);
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
        batchTokens[0] = token;
        batchPositions[0] = position;
        forward.forward(batchTokens, batchPositions, 1, cache);
    }

    /**
     * Samples from the last row: from device-side candidates when they decide exactly, else from all logits;
     * -1 when the logits are not all finite (the backend's argmax/top-k or the sampler's scan says so).
     */
    private int nextToken(int candidates) {
        int row = forward.batchRows() - 1;
        if (candidates == 1) {
            return forward.argmaxLogits(row);
        }
        if (candidates > 1) {
            forward.topLogits(row, candidates, candidateIds, candidateValues);
            return sampler.sampleCandidates(candidateIds, candidateValues, candidates);
        }
        forward.logits(row, logits);
        return sampler.sample(logits, history);
    }

    /** Runs the prompt through the model in batches, filling the KV cache. */
    private void prefill(int[] prompt) {
        for (int at = 0; at < prompt.length; at += batchTokens.length) {
            int n = Math.min(batchTokens.length, prompt.length - at);
            System.arraycopy(prompt, at, batchTokens, 0, n);
            for (int i = 0; i < n; i++) {
                batchPositions[i] = at + i;
            }
            forward.forward(batchTokens, batchPositions, n, cache);
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
        cache.clear();
        for (int at = 0; at < tokens.length; at += batchTokens.length) {
            int n = Math.min(batchTokens.length, tokens.length - at);
            System.arraycopy(tokens, at, batchTokens, 0, n);
            for (int i = 0; i < n; i++) {
                batchPositions[i] = at + i;
            }
            forward.forward(batchTokens, batchPositions, n, cache);
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
