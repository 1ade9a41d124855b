package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SkipPlan;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.inference.tokenizer.TokenStreamDecoder;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * One request in flight in a {@link ContinuousBatcher}: its tokens so far (prompt, then what it generated), how
 * many of them the KV cache holds, its sampler and token history (owned by its cache sequence and reused), and
 * the text it streams. The batcher feeds it tokens in steps — a chunk of its prompt, or its latest token — and
 * hands it each token sampled from its logits; it decides when it ends (end of generation, a stop string, its
 * length, its listener's no) and builds its {@link GenerationResult}.
 */
public final class Generation {
    enum State { WAITING, RUNNING, FINISHED }

    private final GenerationRequest request;
    private final TokenListener listener;
    private final Tokenizer tokenizer;
    private final SkipPlan plan;
    private final ModelConfig config;
    private final int[] tokens;      // prompt, then generated
    private final int promptLength;
    private final int maxGenerated;
    private final long submitted = System.nanoTime();
    final long admissionOrder;       // for preemption: the latest admitted goes first

    // Owned while admitted (the cache sequence's).
    int sequence = -1;
    Sampler sampler;
    TokenHistory history;
    int candidates;

    State state = State.WAITING;
    int known;      // tokens known: the prompt, then each sampled one
    int fed;        // tokens whose keys and values the cache holds
    boolean recomputed; // preempted once: its prompt is prefilled in full, whatever its budget
    boolean retainCache; // its cache sequence stays open when it ends (a lone generation, for teacher forcing)
    int reused;          // prompt tokens taken from the prefix cache
    boolean kept;        // its prompt's blocks are in the prefix cache
    boolean waitsForBlocks; // fed again after a preemption, and the pool lacks the blocks for all of it

    private final StringBuilder text = new StringBuilder();
    private TokenStreamDecoder decoder;
    private StopStringMatcher stops;
    private FinishReason reason;
    private RuntimeException failure;
    private long prefillEnd;
    private long firstToken;
    private long finishedAt;
    private SkipStatistics skipped;
    private GenerationResult result;

    /** {@code prompt} is the request's prompt, already copied out of it (the request's accessor copies). */
    Generation(GenerationRequest request, int[] prompt, TokenListener listener, ModelConfig config, Tokenizer tokenizer,
               int contextLength, long admissionOrder) {
        this.request = request;
        this.listener = listener;
        this.tokenizer = tokenizer;
        this.promptLength = prompt.length;
        this.maxGenerated = Math.min(request.sampling().maxTokens(), contextLength - prompt.length);
        this.tokens = Arrays.copyOf(prompt, prompt.length + maxGenerated);
        this.known = prompt.length;
        this.plan = SkipPlan.resolve(request.skipBudget(), config, prompt.length);
        this.config = config;
        this.admissionOrder = admissionOrder;
    }

    /** Takes the cache sequence {@code s} and its sampler and history, and starts the request's random stream. */
    void admit(int s, Sampler sampler, TokenHistory history, long seed) {
        this.sequence = s;
        this.sampler = sampler;
        this.history = history;
        history.reset();
        history.addPrompt(tokens, promptLength);
        sampler.reset(request.sampling(), seed);
        this.candidates = sampler.deviceCandidates();
        this.decoder = tokenizer != null ? tokenizer.newAnswerDecoder() : null;
        this.stops = new StopStringMatcher(request.sampling().stopStrings());
        this.state = State.RUNNING;
    }

    /** Preempted: its blocks are gone (its cache sequence stays its own), so every known token is fed again. */
    void evicted() {
        fed = 0;
        recomputed = true;
    }

    /** Whether its prompt goes through an SPTS prefill (never after a preemption: the recompute is dense). */
    boolean skipsPrefill() {
        return plan.skipsAny() && !recomputed && fed == 0;
    }

    /** Tokens still to feed before it can sample: the rest of its prompt, or its latest token. */
    int pending() {
        return known - fed;
    }

    /**
     * Takes the token sampled after its fed tokens: -1 for logits that are not finite. Streams it, and
     * finishes the generation when it ends here.
     */
    void accept(int token) {
        long now = System.nanoTime();
        if (known == promptLength && prefillEnd == 0) {
            prefillEnd = now;
        }
        if (token < 0) {
            fail(new dev.sptsrag.inference.NonFiniteLogitsException(generatedCount() + 1));
            return;
        }
        if (firstToken == 0) {
            firstToken = now;
        }
        if (tokenizer != null && tokenizer.specialTokens().isEndOfGeneration(token)) {
            finish(FinishReason.STOP);
            return;
        }
        tokens[known++] = token;
        history.addGenerated(token);
        String delta = decoder != null ? stops.accept(decoder.append(token)) : "";
        text.append(delta);
        if (!listener.onToken(token, delta)) {
            finish(FinishReason.CANCELLED);
        } else if (stops.stopped()) {
            finish(FinishReason.STOP);
        } else if (generatedCount() == maxGenerated) {
            finish(FinishReason.LENGTH);
        }
    }

    /** Ends it now with {@code reason} (also for a cancellation noticed between steps). */
    void finish(FinishReason reason) {
        if (state == State.FINISHED) {
            return;
        }
        if (reason != FinishReason.CANCELLED && decoder != null) {
            String tail = stops.accept(decoder.flush()) + stops.flush();
            if (!tail.isEmpty()) {
                text.append(tail);
                listener.onToken(-1, tail);
            }
        }
        this.reason = reason;
        this.state = State.FINISHED;
        this.finishedAt = System.nanoTime();
    }

    /** Ends it with {@code error}, which {@link #result()} throws. */
    void fail(RuntimeException error) {
        this.failure = error;
        this.state = State.FINISHED;
        this.finishedAt = System.nanoTime();
    }

    void skipped(SkipStatistics statistics) {
        this.skipped = statistics;
    }

    int generatedCount() { return known - promptLength; }

    int[] tokens() { return tokens; }

    int promptLength() { return promptLength; }

    SkipPlan plan() { return plan; }

    GenerationRequest request() { return request; }

    /** Whether it has ended (a result or a failure is ready). */
    public boolean isDone() { return state == State.FINISHED; }

    /** Whether it still waits for admission. */
    public boolean isWaiting() { return state == State.WAITING; }

    /** Prompt tokens. */
    public int promptTokens() { return promptLength; }

    /** Prompt tokens whose keys and values came from the prefix cache. */
    public int reusedPromptTokens() { return reused; }

    /** Tokens generated so far. */
    public int generatedTokens() { return generatedCount(); }

    /**
     * The result of a finished generation.
     *
     * @throws RuntimeException what ended it, when it failed (e.g. {@code NonFiniteLogitsException})
     * @throws IllegalStateException while it runs
     */
    public GenerationResult result() {
        if (state != State.FINISHED) {
            throw new IllegalStateException("the generation is still running");
        }
        if (failure != null) {
            throw failure;
        }
        if (result == null) {
            long end = finishedAt;
            long first = firstToken == 0 ? end : firstToken;
            long prefilled = prefillEnd == 0 ? end : prefillEnd;
            int count = generatedCount();
            GenerationMetrics metrics = new GenerationMetrics(promptLength, count, prefilled - submitted,
                    first - submitted, end - first);
            PrefillFlops flops = skipped != null ? skipped.flops() : PrefillFlops.full(config, promptLength);
            result = new GenerationResult(text.toString(), Arrays.copyOfRange(tokens, promptLength, known), reason,
                    metrics, skipped, flops);
        }
        return result;
    }
}
