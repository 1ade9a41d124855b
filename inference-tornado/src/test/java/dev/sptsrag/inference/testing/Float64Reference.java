package dev.sptsrag.inference.testing;

import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.model.RopeScaling;
import dev.sptsrag.inference.model.WeightTensor;

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

    private static final int ATTN_NORM = 0, FFN_NORM = 1, BQ = 2, BK = 3, BV = 4;

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
                    lw.valueBias() == null ? null : vector(lw.valueBias())};
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
                q[t] = add(mul(m[0], h), layers[l][BQ]);
                k[t] = add(mul(m[1], h), layers[l][BK]);
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
