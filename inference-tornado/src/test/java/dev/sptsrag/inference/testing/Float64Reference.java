package dev.sptsrag.inference.testing;

import dev.sptsrag.inference.spts.SelectionCriterion;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.inference.spts.SkipPlan;
import java.util.ArrayList;
import java.util.List;

import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.model.RopeScaling;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An independent, deliberately plain float64 implementation of the decoder forward pass, used as the
 * yardstick for the engine: whole-sequence attention without a cache, no SIMD, no threads, its own
 * weight decoding and its own RoPE frequency rule. It shares nothing with the engine but the
 * configuration record and the tensor views.
 */
public final class Float64Reference {
    private final ModelConfig c;
    private final double[][] embedding;
    private final double[][][] layers; // [layer][role] flattened matrices, see Role
    private final double[] outputNorm;
    private final double[][] output;
    private final double[] invFreq;

    private static final int ATTN_NORM = 0, FFN_NORM = 1, BQ = 2, BK = 3, BV = 4, QN = 5, KN = 6;

    private final double[][][][] matrices; // [layer][q,k,v,o,gate,up,down][row][col]

    public Float64Reference(ModelConfig config, ModelWeights w) {
        this.c = config;
        this.embedding = matrix(w.tokenEmbedding());
        this.outputNorm = vector(w.outputNorm());
        this.output = w.output() == w.tokenEmbedding() ? embedding : matrix(w.output());
        this.layers = new double[config.layerCount()][][];
        this.matrices = new double[config.layerCount()][][][];
        for (int l = 0; l < config.layerCount(); l++) {
            LayerWeights lw = w.layers().get(l);
            layers[l] = new double[][] {vector(lw.attentionNorm()), vector(lw.ffnNorm()),
                    lw.queryBias() == null ? null : vector(lw.queryBias()),
                    lw.keyBias() == null ? null : vector(lw.keyBias()),
                    lw.valueBias() == null ? null : vector(lw.valueBias()),
                    lw.queryNorm() == null ? null : vector(lw.queryNorm()),
                    lw.keyNorm() == null ? null : vector(lw.keyNorm())};
            matrices[l] = new double[][][] {matrix(lw.query()), matrix(lw.key()), matrix(lw.value()),
                    matrix(lw.output()), matrix(lw.gate()), matrix(lw.up()), matrix(lw.down())};
        }
        invFreq = new double[c.headDim() / 2];
        for (int i = 0; i < invFreq.length; i++) {
            double base = Math.pow(c.ropeTheta(), -2.0 * i / c.headDim());
            invFreq[i] = scaled(base, c.ropeScaling(), i);
        }
    }

    private static double scaled(double base, RopeScaling s, int i) {
        return switch (s.type()) {
            case NONE -> base;
            case FREQUENCY_FACTORS -> base / s.frequencyFactors()[i];
            case LLAMA3 -> {
                double wavelen = 2 * Math.PI / base;
                double lowWavelen = s.originalContext() / s.lowFreqFactor();
                double highWavelen = s.originalContext() / s.highFreqFactor();
                if (wavelen < highWavelen) {
                    yield base;
                } else if (wavelen > lowWavelen) {
                    yield base / s.factor();
                }
                double t = (s.originalContext() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                yield (1 - t) * base / s.factor() + t * base;
            }
        };
    }

    /** Logits for every position of {@code tokens} (positions 0..n-1). */
    public double[][] logits(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = embedding[tokens[t]].clone();
        }
        for (int l = 0; l < c.layerCount(); l++) {
            double[][][] m = matrices[l];
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], layers[l][ATTN_NORM]);
                q[t] = query(l, h);
                k[t] = key(l, h);
                v[t] = add(mul(m[2], h), layers[l][BV]);
                rope(q[t], c.headCount(), t);
                rope(k[t], c.kvHeadCount(), t);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[c.queryDim()];
                for (int hd = 0; hd < c.headCount(); hd++) {
                    int kvh = hd / c.groupSize();
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) {
                        if (c.slidingWindow() > 0 && t - j >= c.slidingWindow()) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int d = 0; d < c.headDim(); d++) {
                            s += q[t][hd * c.headDim() + d] * k[j][kvh * c.headDim() + d];
                        }
                        scores[j] = s / Math.sqrt(c.headDim());
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= t; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        double p = scores[j] / sum;
                        for (int d = 0; d < c.headDim(); d++) {
                            att[hd * c.headDim() + d] += p * v[j][kvh * c.headDim() + d];
                        }
                    }
                }
                double[] o = mul(m[3], att);
                for (int i = 0; i < o.length; i++) {
                    x[t][i] += o[i];
                }
            }
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], layers[l][FFN_NORM]);
                double[] g = mul(m[4], h), u = mul(m[5], h);
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                }
                double[] d = mul(m[6], g);
                for (int i = 0; i < d.length; i++) {
                    x[t][i] += d[i];
                }
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            out[t] = mul(output, rmsNorm(x[t], outputNorm));
        }
        return out;
    }

    /** What the float64 SPTS reference chose and computed. */
    public record SptsReference(double[][] logits, int[][] attentionTokens, int[][] ffnTokens) {
    }

    /**
     * SPTS written out independently in float64: the prompt under {@code plan}, then each token of
     * {@code continuation} decoded against every layer's kept keys and values. {@code logits[0]} follows
     * the prompt, {@code logits[i]} the i-th continuation token. Attention- and FFN-active tokens per
     * layer are returned for comparison with the engine's choice.
     */
    public SptsReference spts(int[] prompt, int[] continuation, SkipPlan plan) {
        return spts(prompt, continuation, plan, false);
    }

    /**
     * As {@link #spts(int[], int[], SkipPlan)}; with {@code exactLtp} the FFN rows of PAP_LTP/SPTS layers
     * are ranked by {@code ||FFN(x)|| · S_MHA} with the true FFN (what an exact LTP proxy predicts).
     */
    public SptsReference spts(int[] prompt, int[] continuation, SkipPlan plan, boolean exactLtp) {
        SkipBudget b = plan.budget();
        int n = prompt.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = embedding[prompt[t]].clone();
        }
        List<List<double[][]>> kept = new ArrayList<>(); // per layer: {position}, k, v
        int[][] attentionTokens = new int[c.layerCount()][];
        int[][] ffnTokens = new int[c.layerCount()][];
        int[] cand = new int[n];
        for (int i = 0; i < n; i++) {
            cand[i] = i;
        }
        double[] lastScores = null;
        for (int l = 0; l < c.layerCount(); l++) {
            double[][][] m = matrices[l];
            if (plan.removedBefore(l) > 0) {
                int[] keep = select(lastScores, cand.length, cand.length - plan.removedBefore(l), b);
                int[] next = new int[keep.length];
                double[] nextScores = new double[keep.length];
                for (int i = 0; i < keep.length; i++) {
                    next[i] = cand[keep[i]];
                    nextScores[i] = lastScores[keep[i]];
                }
                cand = next;
                lastScores = nextScores;
            }
            int nc = cand.length;
            double[][] h = new double[nc][], k = new double[nc][];
            for (int i = 0; i < nc; i++) {
                h[i] = rmsNorm(x[cand[i]], layers[l][ATTN_NORM]);
                k[i] = key(l, h[i]);
                rope(k[i], c.kvHeadCount(), cand[i]);
            }
            // The last token's attention over every candidate, computed in every layer (cheap here): layer l's
            // own scores choose under SELF_PROBE, layer l-1's (compacted by any removal) under PREVIOUS_LAYER.
            double[] previous = lastScores;
            boolean previousLayer = b.criterion() == SelectionCriterion.PREVIOUS_LAYER;
            double[] scores = null;
            {
                double[] q = query(l, h[nc - 1]);
                int qp = cand[nc - 1];
                rope(q, c.headCount(), qp);
                scores = new double[nc];
                for (int hd = 0; hd < c.headCount(); hd++) {
                    int kvh = hd / c.groupSize();
                    double[] s = new double[nc];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < nc; i++) {
                        if (c.slidingWindow() > 0 && qp - cand[i] >= c.slidingWindow()) {
                            s[i] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int d = 0; d < c.headDim(); d++) {
                            dot += q[hd * c.headDim() + d] * k[i][kvh * c.headDim() + d];
                        }
                        s[i] = dot / Math.sqrt(c.headDim());
                        max = Math.max(max, s[i]);
                    }
                    double sum = 0;
                    for (int i = 0; i < nc; i++) {
                        sum += Math.exp(s[i] - max);
                    }
                    for (int i = 0; i < nc; i++) {
                        scores[i] += Math.exp(s[i] - max) / sum / c.headCount();
                    }
                }
                scores = spans(scores, b.spanTokens());
                lastScores = scores;
            }
            int[] active = plan.skips(l) ? select(previousLayer ? previous : scores, nc, plan.active(l), b) : range(nc);
            List<double[][]> layerKv = new ArrayList<>();
            double[][] q = new double[nc][];
            for (int a : active) {
                q[a] = query(l, h[a]);
                rope(q[a], c.headCount(), cand[a]);
                double[] v = add(mul(m[2], h[a]), layers[l][BV]);
                layerKv.add(new double[][] {{cand[a]}, k[a], v});
            }
            kept.add(layerKv);
            attentionTokens[l] = tokensOf(cand, active);
            double[][] updates = new double[nc][];
            for (int a : active) {
                updates[a] = mul(m[3], attend(q[a], cand[a], layerKv));
            }
            for (int a : active) {
                addInto(x[cand[a]], updates[a]);
            }
            double[] ffnScores = scores;
            if (exactLtp && plan.skips(l) && b.mode() != SkipMode.PAP) {
                ffnScores = new double[nc];
                for (int i = 0; i < nc; i++) {
                    double[] f = ffnUpdate(l, x[cand[i]]);
                    double norm = 0;
                    for (double v : f) {
                        norm += v * v;
                    }
                    ffnScores[i] = Math.sqrt(norm) * scores[i];
                }
            }
            int[] ffn = !plan.skips(l) || b.mode() == SkipMode.PAP ? range(nc)
                    : previousLayer ? active // the baseline computes a token in the whole block or not at all
                    : select(ffnScores, nc, plan.active(l), b);
            ffnTokens[l] = tokensOf(cand, ffn);
            for (int f : ffn) {
                addInto(x[cand[f]], ffnUpdate(l, x[cand[f]]));
            }
        }
        double[][] logits = new double[continuation.length + 1][];
        logits[0] = mul(output, rmsNorm(x[n - 1], outputNorm));
        for (int j = 0; j < continuation.length; j++) {
            int pos = n + j;
            double[] xt = embedding[continuation[j]].clone();
            for (int l = 0; l < c.layerCount(); l++) {
                double[][][] m = matrices[l];
                double[] h = rmsNorm(xt, layers[l][ATTN_NORM]);
                double[] q = query(l, h);
                double[] k = key(l, h);
                double[] v = add(mul(m[2], h), layers[l][BV]);
                rope(q, c.headCount(), pos);
                rope(k, c.kvHeadCount(), pos);
                kept.get(l).add(new double[][] {{pos}, k, v});
                addInto(xt, mul(m[3], attend(q, pos, kept.get(l))));
                addInto(xt, ffnUpdate(l, xt));
            }
            logits[j + 1] = mul(output, rmsNorm(xt, outputNorm));
        }
        return new SptsReference(logits, attentionTokens, ffnTokens);
    }

    /** Attention of one query at {@code pos} over the kept entries it may see. */
    private double[] attend(double[] q, int pos, List<double[][]> kv) {
        double[] att = new double[c.queryDim()];
        for (int hd = 0; hd < c.headCount(); hd++) {
            int kvh = hd / c.groupSize();
            double[] s = new double[kv.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < kv.size(); j++) {
                int p = (int) kv.get(j)[0][0];
                if (p > pos || (c.slidingWindow() > 0 && pos - p >= c.slidingWindow())) {
                    s[j] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double dot = 0;
                for (int d = 0; d < c.headDim(); d++) {
                    dot += q[hd * c.headDim() + d] * kv.get(j)[1][kvh * c.headDim() + d];
                }
                s[j] = dot / Math.sqrt(c.headDim());
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < s.length; j++) {
                s[j] = Math.exp(s[j] - max);
                sum += s[j];
            }
            for (int j = 0; j < s.length; j++) {
                for (int d = 0; d < c.headDim(); d++) {
                    att[hd * c.headDim() + d] += s[j] / sum * kv.get(j)[2][kvh * c.headDim() + d];
                }
            }
        }
        return att;
    }

    private double[] ffnUpdate(int l, double[] x) {
        double[][][] m = matrices[l];
        double[] h = rmsNorm(x, layers[l][FFN_NORM]);
        double[] g = mul(m[4], h), u = mul(m[5], h);
        for (int i = 0; i < g.length; i++) {
            g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return mul(m[6], g);
    }

    /** Each score raised to the best of itself and the {@code w} scores before it (a fresh array). */
    private static double[] spans(double[] scores, int w) {
        double[] out = scores.clone();
        for (int i = 0; i < scores.length; i++) {
            for (int j = Math.max(0, i - w); j <= i; j++) {
                out[i] = Math.max(out[i], scores[j]);
            }
        }
        return out;
    }

    /** Last row, sinks, recent rows, then the highest scores (ties: the earlier row); ascending. */
    private static int[] select(double[] scores, int n, int budget, SkipBudget b) {
        int m = Math.min(n, budget);
        java.util.TreeSet<Integer> chosen = new java.util.TreeSet<>();
        chosen.add(n - 1);
        for (int i = 0; i < Math.min(b.sinkTokens(), n) && chosen.size() < m; i++) {
            chosen.add(i);
        }
        for (int i = n - 2; i >= Math.max(0, n - 1 - b.recentTokens()) && chosen.size() < m; i--) {
            chosen.add(i);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, c2) -> {
            int cmp = Double.compare(scores[c2], scores[a]);
            return cmp != 0 ? cmp : Integer.compare(a, c2);
        });
        for (int j = 0; j < n && chosen.size() < m; j++) {
            chosen.add(order[j]);
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static int[] tokensOf(int[] cand, int[] rows) {
        int[] t = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            t[i] = cand[rows[i]];
        }
        return t;
    }

    private static void addInto(double[] x, double[] d) {
        for (int i = 0; i < x.length; i++) {
            x[i] += d[i];
        }
    }

    /** The query of layer {@code l} for the normed input {@code h}: projection, bias, per-head norm (before RoPE). */
    private double[] query(int l, double[] h) {
        return headNorms(add(mul(matrices[l][0], h), layers[l][BQ]), layers[l][QN]);
    }

    /** As {@link #query} for the key. */
    private double[] key(int l, double[] h) {
        return headNorms(add(mul(matrices[l][1], h), layers[l][BK]), layers[l][KN]);
    }

    /** Each head of {@code vec} RMS-normalised with the shared weight {@code w}; unchanged when {@code w} is null. */
    private double[] headNorms(double[] vec, double[] w) {
        if (w == null) {
            return vec;
        }
        double[] out = new double[vec.length];
        for (int base = 0; base < vec.length; base += w.length) {
            double[] head = rmsNorm(java.util.Arrays.copyOfRange(vec, base, base + w.length), w);
            System.arraycopy(head, 0, out, base, w.length);
        }
        return out;
    }

    private void rope(double[] vec, int heads, int pos) {
        int half = c.headDim() / 2;
        for (int h = 0; h < heads; h++) {
            int base = h * c.headDim();
            for (int i = 0; i < half; i++) {
                int a = c.ropeLayout() == RopeLayout.SPLIT_HALF ? base + i : base + 2 * i;
                int b = c.ropeLayout() == RopeLayout.SPLIT_HALF ? base + i + half : base + 2 * i + 1;
                double angle = pos * invFreq[i];
                double cos = Math.cos(angle), sin = Math.sin(angle);
                double x0 = vec[a], x1 = vec[b];
                vec[a] = x0 * cos - x1 * sin;
                vec[b] = x1 * cos + x0 * sin;
            }
        }
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * w[i];
        }
        return out;
    }

    private static double[] mul(double[][] m, double[] x) {
        double[] out = new double[m.length];
        for (int r = 0; r < m.length; r++) {
            double s = 0;
            double[] row = m[r];
            for (int i = 0; i < x.length; i++) {
                s += row[i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private static double[] add(double[] x, double[] bias) {
        if (bias != null) {
            for (int i = 0; i < x.length; i++) {
                x[i] += bias[i];
            }
        }
        return x;
    }

    private static double[][] matrix(WeightTensor t) {
        int rows = (int) t.dim(0), cols = (int) t.dim(1);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                m[r][i] = element(t, (long) r * cols + i);
            }
        }
        return m;
    }

    private static double[] vector(WeightTensor t) {
        double[] v = new double[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = element(t, i);
        }
        return v;
    }

    /** Decodes one element of a float tensor; written from the IEEE/bfloat16 definitions, not the engine's code. */
    private static double element(WeightTensor t, long i) {
        return switch (t.type()) {
            case F32 -> t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4);
            case F16 -> halfToDouble(t.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2));
            case BF16 -> Float.intBitsToFloat((t.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2) & 0xFFFF) << 16);
            case Q8_0 -> {
                // block of 32: an IEEE half scale, then 32 signed bytes; value = scale * q
                long block = i / 32, within = i % 32;
                long at = block * 34;
                double d = halfToDouble(t.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at));
                yield d * t.data().get(ValueLayout.JAVA_BYTE, at + 2 + within);
            }
            default -> throw new UnsupportedOperationException("reference reads F32/F16/BF16/Q8_0 only: " + t.type());
        };
    }

    private static double halfToDouble(short bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1F, frac = bits & 0x3FF;
        double v;
        if (exp == 0) {
            v = frac * Math.pow(2, -24);
        } else if (exp == 31) {
            v = frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = (1 + frac / 1024.0) * Math.pow(2, exp - 15);
        }
        return sign == 1 ? -v : v;
    }
}
