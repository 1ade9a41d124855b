package dev.sptsrag.inference.engine;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: penalties, then greedy argmax or (temperature, top-k, softmax,
 * top-p, min-p, draw). Buffers are sized for the vocabulary once; sampling allocates nothing.
 * The random stream is seeded per request, so the same seed gives the same tokens. Logits with a NaN
 * or an infinity give -1: the scan that picks the token notices them, so broken weights cost no
 * extra pass (the engine reports them as {@code NonFiniteLogitsException}).
 */
public final class Sampler {
    private final int vocabSize;
    private final int[] order;
    private final float[] probs;
    private SplittableRandom random = new SplittableRandom(0);
    private SamplingOptions options = SamplingOptions.GREEDY;

    public Sampler(int vocabSize) {
        this.vocabSize = vocabSize;
        this.order = new int[vocabSize];
        this.probs = new float[vocabSize];
    }

    /** Starts a request: fixes its options and seeds its random stream. */
    public void reset(SamplingOptions options, long seed) {
        this.options = options;
        this.random = new SplittableRandom(seed);
    }

    /** Most candidates a backend is asked for (its top-k kernel's limit). */
    public static final int MAX_DEVICE_CANDIDATES = 256;

    /**
     * How many top candidates, taken on the device, decide this request's tokens exactly: 1 for
     * greedy, top-k for sampling; 0 when the whole vocabulary is needed (penalties change logits by
     * history, or top-k is off or too large).
     */
    public int deviceCandidates() {
        boolean penalties = options.repetitionPenalty() != 1.0 || options.presencePenalty() != 0
                || options.frequencyPenalty() != 0;
        if (penalties) {
            return 0;
        }
        if (options.greedy()) {
            return 1;
        }
        return options.topK() > 0 && options.topK() <= Math.min(MAX_DEVICE_CANDIDATES, vocabSize) ? options.topK() : 0;
    }

    /** Chooses a token, or -1 when a logit is not finite; {@code logits} is modified (penalties, temperature). */
    public int sample(float[] logits, TokenHistory history) {
        applyPenalties(logits, history);
        if (options.greedy()) {
            return argmax(logits);
        }
        int k = options.topK() > 0 ? Math.min(options.topK(), vocabSize) : vocabSize;
        int n = selectTop(logits, k);
        if (n < 0) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            probs[i] = logits[order[i]];
        }
        return draw(order, probs, n);
    }

    /**
     * Chooses a token from the top candidates of the logits, sorted descending (as
     * {@link #deviceCandidates()} asked for); the same choice {@link #sample} makes from all logits.
     * {@code values} is overwritten. A backend marks logits with a NaN or an infinity by {@code ids[0] = -1},
     * which is returned.
     */
    public int sampleCandidates(int[] ids, float[] values, int n) {
        if (ids[0] < 0 || options.greedy() || n == 1) {
            return ids[0];
        }
        return draw(ids, values, n);
    }

    /** Temperature softmax over sorted candidates, then min-p and top-p, then a seeded draw. */
    private int draw(int[] ids, float[] logitsThenProbs, int n) {
        float invT = (float) (1.0 / options.temperature());
        float[] p = logitsThenProbs;
        float max = p[0] * invT;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp(p[i] * invT - max);
            sum += p[i];
        }
        double cumulative = 0;
        int keep = n;
        double topP = options.topP();
        double minP = options.minP();
        double first = p[0] / sum;
        for (int i = 0; i < n; i++) {
            double pi = p[i] / sum;
            if (minP > 0 && pi < minP * first) {
                keep = i;
                break;
            }
            cumulative += pi;
            if (cumulative >= topP) {
                keep = i + 1;
                break;
            }
        }
        keep = Math.max(1, keep);
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += p[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            u -= p[i];
            if (u < 0) {
                return ids[i];
            }
        }
        return ids[keep - 1];
    }

    private void applyPenalties(float[] logits, TokenHistory h) {
        float rep = (float) options.repetitionPenalty();
        float presence = (float) options.presencePenalty();
        float frequency = (float) options.frequencyPenalty();
        if (rep == 1f && presence == 0f && frequency == 0f) {
            return;
        }
        for (int i = 0; i < h.distinct(); i++) {
            int t = h.token(i);
            float l = logits[t];
            if (rep != 1f) {
                l = l > 0 ? l / rep : l * rep;
            }
            int count = h.generatedCount(t);
            if (count > 0) {
                l -= presence + frequency * count;
            }
            logits[t] = l;
        }
    }

    /** Index of the largest logit (the first one on ties, as torch.argmax does); -1 when one is not finite. */
    public static int argmax(float[] logits) {
        int best = 0;
        float bestValue = logits[0];
        boolean finite = true;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            finite &= Math.abs(v) <= Float.MAX_VALUE; // false for NaN and both infinities
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return finite ? best : -1;
    }

    /**
     * Puts the indices of the {@code k} largest logits into {@code order[0..k)}, sorted descending,
     * with a bounded min-heap (O(V log k)) and an in-place heap sort; -1 when a logit is not finite.
     */
    private int selectTop(float[] logits, int k) {
        int size = 0;
        boolean finite = true;
        for (int i = 0; i < vocabSize; i++) {
            float v = logits[i];
            finite &= Math.abs(v) <= Float.MAX_VALUE;
            if (size < k) {
                order[size] = i;
                siftUp(logits, size++);
            } else if (v > logits[order[0]]) {
                order[0] = i;
                siftDown(logits, 0, size);
            }
        }
        if (!finite) {
            return -1;
        }
        // heap sort of a min-heap leaves the array in descending order
        for (int end = size - 1; end > 0; end--) {
            int tmp = order[0];
            order[0] = order[end];
            order[end] = tmp;
            siftDown(logits, 0, end);
        }
        return size;
    }

    private void siftUp(float[] key, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (key[order[i]] >= key[order[parent]]) {
                return;
            }
            int tmp = order[i];
            order[i] = order[parent];
            order[parent] = tmp;
            i = parent;
        }
    }

    private void siftDown(float[] key, int i, int size) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int smallest = left;
            int right = left + 1;
            if (right < size && key[order[right]] < key[order[left]]) {
                smallest = right;
            }
            if (key[order[smallest]] >= key[order[i]]) {
                return;
            }
            int tmp = order[i];
            order[i] = order[smallest];
            order[smallest] = tmp;
            i = smallest;
        }
    }
}
