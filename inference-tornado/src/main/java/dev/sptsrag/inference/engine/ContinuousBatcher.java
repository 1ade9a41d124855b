package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.decoder.PrefixCache;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.inference.spts.SptsPrefill;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.security.SecureRandom;
import java.util.function.Supplier;

/**
 * Runs many generations together, one step at a time. A step is one {@link ForwardPass} over the latest token
 * of every decoding generation (one row each) and, where the batch has room, chunks of prompts still being
 * prefilled, so a long prompt does not stall everyone's next token; then each generation whose fed tokens reached
 * its last known one samples its next token from its own logits row. Generations join ({@link #admit}) and leave
 * (finished, cancelled) between steps.
 *
 * <p>Memory is the paged {@link KvCache}: a generation is admitted when a cache sequence is free and the pool has
 * the blocks for its prompt beyond a reserve that lets the running ones grow; a step takes blocks as its rows
 * need them. When a decoding generation finds none, the generation admitted last that holds blocks (fed, or
 * reserved for its prompt) gives them all back (preemption by recompute): it keeps its tokens, sampler and place,
 * and feeds them again, densely (an SPTS prefill is not repeated), once the pool has the blocks for all of them;
 * until then nobody new is admitted. A generation with a skip budget prefills its prompt alone, in one
 * SPTS pass over the whole prompt (its probe needs every token), in a step of its own; its decode joins the
 * others, so its budget never touches another generation's numbers.
 *
 * <p>With a {@link PrefixCache}, a prompt with no skip budget starts from the longest kept prefix of full blocks
 * (fed already), and once prefilled in full its own blocks are kept for the next ones. A prompt with a skip budget
 * neither takes nor gives: its deep layers hold a subset of its tokens, which is not what a full prefill of the
 * same tokens holds, and its budget asks for its own prefill.
 *
 * <p>Not thread-safe: one thread admits, steps and cancels (the engine's owner).
 */
public final class ContinuousBatcher {
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ForwardPass forward;
    private final KvCache cache;
    private final Supplier<SptsPrefill> spts;
    private final PrefixCache prefix; // null: no reuse
    private final int contextLength;
    private final Sampler[] samplers;
    private final TokenHistory[] histories;
    private final Generation[] running; // by cache sequence
    private int runningCount;
    private long admissions;

    // Step buffers, sized once.
    private final int[] stepTokens;
    private final int[] stepPositions;
    private final int[] runSequences;
    private final int[] runLengths;
    private final Generation[] runOwners;
    private final int[] logitRows;
    private final Generation[] logitOwners;
    private final float[] logits;
    private final int[] candidateIds = new int[Sampler.MAX_DEVICE_CANDIDATES];
    private final float[] candidateValues = new float[Sampler.MAX_DEVICE_CANDIDATES];
    private final Generation[] order;
    private final int[] firstRow = {0};

    private volatile int lastStepRows;
    private volatile long preemptions;
    private volatile long prefixTokensReused;

    ContinuousBatcher(ModelConfig config, Tokenizer tokenizer, ForwardPass forward, KvCache cache,
                      Supplier<SptsPrefill> spts, int contextLength, boolean prefixCache) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.forward = forward;
        this.cache = cache;
        this.spts = spts;
        this.contextLength = contextLength;
        this.prefix = prefixCache ? new PrefixCache(cache) : null;
        int sequences = cache.sequences();
        if (forward.maxBatch() < sequences || forward.maxLogitRows() < sequences) {
            throw new IllegalArgumentException("a batch of " + forward.maxBatch() + " rows and " + forward.maxLogitRows()
                    + " logit rows cannot step " + sequences + " sequences");
        }
        this.samplers = new Sampler[sequences];
        this.histories = new TokenHistory[sequences];
        for (int s = 0; s < sequences; s++) {
            samplers[s] = new Sampler(config.vocabSize());
            histories[s] = new TokenHistory(config.vocabSize());
        }
        this.running = new Generation[sequences];
        this.order = new Generation[sequences];
        this.stepTokens = new int[forward.maxBatch()];
        this.stepPositions = new int[forward.maxBatch()];
        this.runSequences = new int[sequences];
        this.runLengths = new int[sequences];
        this.runOwners = new Generation[sequences];
        this.logitRows = new int[sequences];
        this.logitOwners = new Generation[sequences];
        this.logits = new float[config.vocabSize()];
    }

    /**
     * Checks a request against the model and the context, before it waits anywhere.
     *
     * @throws ContextLengthExceededException when the prompt leaves no room to generate
     * @throws IllegalArgumentException       for a token id outside the vocabulary
     */
    public void validate(GenerationRequest request) {
        validate(request.promptTokens(), request);
    }

    private void validate(int[] prompt, GenerationRequest request) {
        if (prompt.length >= contextLength) {
            throw new ContextLengthExceededException(prompt.length, request.sampling().maxTokens(), contextLength);
        }
        for (int t : prompt) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (" + config.vocabSize() + ")");
            }
        }
    }

    /**
     * Starts {@code request} when there is room: a free cache sequence, and blocks for its prompt beyond one block
     * per layer for each running generation (so those can keep decoding). The prompt's blocks are taken now, so
     * that generations admitted together cannot fill the pool with halves of their prompts; an SPTS prefill gives
     * back what its skipped layers do not use.
     *
     * @return the generation, or null when it must wait (nothing was taken)
     * @throws ContextLengthExceededException when the prompt leaves no room to generate
     */
    public Generation admit(GenerationRequest request, TokenListener listener) {
        int[] tokens = request.promptTokens(); // a copy: taken once, and the generation's from here on
        validate(tokens, request);
        int prompt = tokens.length;
        if (!hasRoom(prompt)) {
            return null;
        }
        int s = cache.open();
        if (s < 0) {
            return null;
        }
        Generation g = new Generation(request, tokens, listener, config, tokenizer, contextLength, admissions++);
        int reused = prefix != null && !g.plan().skipsAny() ? prefix.reuse(s, g.tokens(), prompt) : 0;
        if (cache.filled(s, 0) != reused) {
            throw new IllegalStateException("prefix reuse filled " + cache.filled(s, 0) + " slots, reported " + reused);
        }
        if (!cache.reserveAll(s, prompt - reused)) {
            cache.release(s);
            return null;
        }
        prefixTokensReused += reused;
        Long seed = request.sampling().seed();
        g.admit(s, samplers[s], histories[s], seed != null ? seed : new SecureRandom().nextLong());
        g.fed = reused;
        g.reused = reused;
        running[s] = g;
        runningCount++;
        return g;
    }

    /**
     * Whether a prompt of {@code promptTokens} would be admitted now: a free cache sequence, and blocks for it
     * (free or kept by the prefix cache) beyond one block per layer for each running generation. Cheap, for a
     * scheduler to ask before each step.
     */
    public boolean hasRoom(int promptTokens) {
        if (runningCount == running.length || cache.openSequences() == cache.sequences()) {
            return false; // every cache sequence is running, or kept open by a lone generation (teacher forcing)
        }
        for (Generation g : running) {
            if (g != null && g.waitsForBlocks) {
                return false; // a preempted generation comes back before anyone new
            }
        }
        long blocks = KvCache.blocksFor(config, promptTokens, cache.blockSize(), 1) + (long) runningCount * cache.layers();
        // Asked before every step while a request waits: the prefix cache is walked only when free blocks fall short.
        return blocks <= cache.freeBlocks() || blocks <= cache.availableBlocks();
    }

    /** Prompt tokens taken from kept prefixes instead of computed, since the start (0 without a prefix cache). */
    public long prefixTokensReused() {
        return prefixTokensReused;
    }

    /** Blocks only the prefix cache holds (free for the asking); 0 without one. Walks the cache: not per step. */
    public int keptBlocks() {
        return prefix != null ? prefix.reclaimable() : 0;
    }

    /** Generations admitted and not finished. */
    public int running() { return runningCount; }

    /** Rows of the latest step (0 before the first). */
    public int lastStepRows() { return lastStepRows; }

    /** Generations that gave their blocks back to let others decode, since the start. */
    public long preemptions() { return preemptions; }

    public KvCache cache() { return cache; }

    /** Ends {@code g} at once (cancelled, or its deadline passed): its cache sequence is free for the next step. */
    public void cancel(Generation g) {
        if (!g.isDone()) {
            g.finish(FinishReason.CANCELLED);
        }
        retire(g);
    }

    /**
     * Runs one step. A finished generation has given back its cache sequence when this returns.
     *
     * @return false when nothing was running
     */
    public boolean step() {
        if (runningCount == 0) {
            lastStepRows = 0;
            return false;
        }
        int generations = ordered();
        // A prompt with a skip budget runs alone, in full, in a step of its own.
        for (int i = 0; i < generations; i++) {
            Generation g = order[i];
            if (g.skipsPrefill() && prefillSkipping(g)) {
                return true;
            }
        }
        int rows = 0, runs = 0;
        // Decode rows first: every generation with one token to feed; the latest admitted yield blocks.
        for (int i = 0; i < generations; i++) {
            Generation g = order[i];
            if (g.isDone() || g.pending() != 1) {
                continue;
            }
            while (!cache.reserveAll(g.sequence, 1)) {
                Generation victim = latestHoldingBlocks(runs);
                if (victim == null) {
                    throw new IllegalStateException("KV cache cannot hold one more token of a lone sequence");
                }
                preempt(victim);
                if (victim == g) {
                    break;
                }
            }
            if (g.pending() != 1) {
                continue; // it was the victim: it feeds everything again later
            }
            addRun(g, 1, rows, runs++);
            rows++;
        }
        // Then prompt chunks, oldest first, while the batch and the pool have room.
        for (int i = 0; i < generations && rows < stepTokens.length; i++) {
            Generation g = order[i];
            if (g.isDone() || g.pending() <= 1 || g.skipsPrefill() || inStep(g, runs)) {
                continue;
            }
            // All its unfed tokens at once (a no-op after admission, which took the prompt's blocks): a generation
            // fed again after a preemption waits whole, so that two of them cannot each hold half of what they need.
            g.waitsForBlocks = !cache.reserveAll(g.sequence, g.pending());
            if (g.waitsForBlocks) {
                continue;
            }
            int n = Math.min(g.pending(), stepTokens.length - rows);
            addRun(g, n, rows, runs++);
            rows += n;
        }
        lastStepRows = rows;
        if (rows == 0) {
            return true; // every generation waits for blocks another one frees
        }
        forward.forward(stepTokens, stepPositions, rows, runSequences, runLengths, runs, cache);
        int sampling = 0;
        for (int i = 0, row = 0; i < runs; i++) {
            Generation g = runOwners[i];
            row += runLengths[i];
            g.fed += runLengths[i];
            if (prefix != null && !g.kept && g.fed >= g.promptLength() && (g.recomputed || !g.plan().skipsAny())) {
                prefix.keep(g.sequence, g.tokens(), g.promptLength());
                g.kept = true;
            }
            if (g.pending() == 0) {
                logitRows[sampling] = row - 1;
                logitOwners[sampling++] = g;
            }
        }
        if (sampling > 0) {
            forward.computeLogits(logitRows, sampling);
            for (int i = 0; i < sampling; i++) {
                Generation g = logitOwners[i];
                accept(g, sample(g, i));
                if (g.isDone()) {
                    retire(g);
                }
            }
        }
        return true;
    }

    /** Hands {@code g} its token; its listener or its text failing ends it alone, not the step. */
    private static void accept(Generation g, int token) {
        try {
            g.accept(token);
        } catch (RuntimeException e) {
            g.fail(e);
        }
    }

    /** Appends {@code n} tokens of {@code g} (from its first unfed one) to the step as run {@code run}. */
    private void addRun(Generation g, int n, int firstRow, int run) {
        int[] tokens = g.tokens();
        for (int j = 0; j < n; j++) {
            stepTokens[firstRow + j] = tokens[g.fed + j];
            stepPositions[firstRow + j] = g.fed + j;
        }
        runSequences[run] = g.sequence;
        runLengths[run] = n;
        runOwners[run] = g;
    }

    private boolean inStep(Generation g, int runs) {
        for (int i = 0; i < runs; i++) {
            if (runOwners[i] == g) {
                return true;
            }
        }
        return false;
    }

    /** The token for logits row {@code i}: from device-side candidates when they decide exactly, else from all logits. */
    private int sample(Generation g, int i) {
        if (g.candidates == 1) {
            return forward.argmax(i);
        }
        if (g.candidates > 1) {
            forward.top(i, g.candidates, candidateIds, candidateValues);
            return g.sampler.sampleCandidates(candidateIds, candidateValues, g.candidates);
        }
        forward.readLogits(i, logits);
        return g.sampler.sample(logits, g.history);
    }

    /**
     * The SPTS prefill of {@code g}'s prompt, alone, and its first token; the blocks its skipped layers do not
     * use go back to the pool.
     *
     * @return false when the pool lacks the blocks (it waits, as a dense prompt would)
     */
    private boolean prefillSkipping(Generation g) {
        SptsPrefill prefill = spts.get();
        if (SptsPrefill.blocksNeeded(g.plan(), cache, g.sequence) > cache.freeBlocks()) {
            return false;
        }
        SkipStatistics stats = prefill.run(g.tokens(), g.plan(), cache, g.sequence);
        cache.trim(g.sequence);
        g.skipped(stats);
        g.fed = g.promptLength();
        forward.adoptHiddenState(prefill.hiddenStates(), g.promptLength() - 1);
        forward.computeLogits(firstRow, 1);
        accept(g, sample(g, 0));
        if (g.isDone()) {
            retire(g);
        }
        lastStepRows = g.promptLength();
        return true;
    }

    /** Running generations in admission order into {@link #order}; returns how many. */
    private int ordered() {
        int n = 0;
        for (Generation g : running) {
            if (g != null) {
                int at = n++;
                while (at > 0 && order[at - 1].admissionOrder > g.admissionOrder) {
                    order[at] = order[at - 1];
                    at--;
                }
                order[at] = g;
            }
        }
        return n;
    }

    /**
     * The generation admitted last that holds blocks (fed, or reserved for its prompt) and is not in the step's first
     * {@code runs} runs.
     */
    private Generation latestHoldingBlocks(int runs) {
        Generation latest = null;
        for (Generation g : running) {
            if (g != null && holdsBlocks(g) && !inStep(g, runs)
                    && (latest == null || g.admissionOrder > latest.admissionOrder)) {
                latest = g;
            }
        }
        return latest;
    }

    private boolean holdsBlocks(Generation g) {
        for (int l = 0; l < cache.layers(); l++) {
            if (cache.blocksHeld(g.sequence, l) > 0) {
                return true;
            }
        }
        return false;
    }

    private void preempt(Generation g) {
        cache.reset(g.sequence);
        g.evicted();
        preemptions++;
    }

    private void retire(Generation g) {
        int s = g.sequence;
        if (s >= 0 && running[s] == g) {
            running[s] = null;
            runningCount--;
            if (!g.retainCache) {
                cache.release(s);
            }
        }
    }
}
