package dev.sptsrag.inference.spts.ltp;

/**
 * LTP's channel importance for one layer: over N calibration tokens, each intermediate channel's
 * saliency {@code z = |SiLU(x·W_gateᵀ) ⊙ (x·W_upᵀ)|}, and its importance = the mean of its largest
 * {@code ⌈ρ·N⌉} values (the paper's top-ρ mean, ρ = 0.2: a channel matters if it fires strongly on
 * some tokens, even when it is quiet on most).
 *
 * <p>Exact, not a sketch: each channel keeps a min-heap of its k largest values so far, and a
 * separate array of the heaps' minimums rejects the (eventually most) values below them without
 * touching the heaps. Memory: {@code channels × k} floats, see {@link #bytes}.
 */
final class ChannelSaliency {
    private final int channels;
    private final long tokens;
    private final int k;
    private final float[] heaps;   // channel c's heap at [c·k, c·k + k)
    private final float[] floor;   // each heap's minimum once it is full
    private long seen;

    /**
     * @param tokens how many tokens {@link #add} will be given in all
     * @param rho    the top fraction, in (0, 1]
     */
    ChannelSaliency(int channels, long tokens, double rho) {
        if (channels < 1 || tokens < 1 || !(rho > 0 && rho <= 1)) {
            throw new IllegalArgumentException("channels " + channels + ", tokens " + tokens + ", rho " + rho);
        }
        long keep = keep(tokens, rho);
        if (keep * channels > ProxyShape.MAX_ARRAY) {
            throw new IllegalArgumentException(channels + " channels × top " + keep + " values do not fit one array; "
                    + "use fewer calibration tokens");
        }
        this.channels = channels;
        this.tokens = tokens;
        this.k = (int) keep;
        this.heaps = new float[channels * k];
        this.floor = new float[channels];
    }

    /** Values kept per channel: {@code ⌈ρ·N⌉}, at least 1. */
    static long keep(long tokens, double rho) {
        return Math.max(1, (long) Math.ceil(rho * tokens - 1e-9));
    }

    /** Heap bytes for one layer. */
    static long bytes(int channels, long tokens, double rho) {
        return 4L * channels * keep(tokens, rho) + 4L * channels;
    }

    /** Takes the SwiGLU activations of {@code rows} tokens (row-major {@code rows × channels}); their magnitudes count. */
    void add(float[] activations, int rows) {
        if (rows < 0 || seen + rows > tokens || (long) rows * channels > activations.length) {
            throw new IllegalArgumentException(rows + " rows after " + seen + " of " + tokens + " tokens");
        }
        for (int r = 0; r < rows; r++, seen++) {
            int base = r * channels;
            if (seen < k) {
                int size = (int) seen;
                for (int c = 0; c < channels; c++) {
                    float z = magnitude(activations[base + c], c);
                    siftUp(c * k, size, z);
                    if (size + 1 == k) {
                        floor[c] = heaps[c * k];
                    }
                }
            } else {
                for (int c = 0; c < channels; c++) {
                    float z = magnitude(activations[base + c], c);
                    if (z > floor[c]) {
                        floor[c] = replaceMin(c * k, z);
                    }
                }
            }
        }
    }

    /** Importance of every channel; only once all {@code tokens} have been added. */
    double[] importance() {
        if (seen != tokens) {
            throw new IllegalStateException("saliency of " + seen + " tokens, " + tokens + " expected");
        }
        double[] out = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                sum += heaps[c * k + i];
            }
            out[c] = sum / k;
        }
        return out;
    }

    private static float magnitude(float a, int channel) {
        if (!Float.isFinite(a)) {
            throw new IllegalArgumentException("activation of channel " + channel + " is " + a);
        }
        return Math.abs(a);
    }

    private void siftUp(int base, int size, float z) {
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heaps[base + parent] <= z) {
                break;
            }
            heaps[base + i] = heaps[base + parent];
            i = parent;
        }
        heaps[base + i] = z;
    }

    /** Replaces the heap's minimum by {@code z} (larger) and returns the new minimum. */
    private float replaceMin(int base, float z) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= k) {
                break;
            }
            if (child + 1 < k && heaps[base + child + 1] < heaps[base + child]) {
                child++;
            }
            if (heaps[base + child] >= z) {
                break;
            }
            heaps[base + i] = heaps[base + child];
            i = child;
        }
        heaps[base + i] = z;
        return heaps[base];
    }
}
