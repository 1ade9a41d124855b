package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A proxy of the paper's shape for a model with synthetic weights, with seeded random factors and
 * evenly spread channels: what a benchmark needs to measure the cost of LTP scoring where, as with the
 * weights, only the shapes matter. Its rankings mean nothing; a real proxy comes from
 * {@link ProxyCalibrator} ({@code spts calibrate}).
 */
public final class SyntheticLowRankProxy {
    private SyntheticLowRankProxy() {
    }

    public static LowRankProxy of(ModelConfig config, ModelWeights weights, long seed) {
        ProxyShape shape = CalibrationSettings.paperDefaults(config).shapeFor(config);
        int r = shape.rank(), d = shape.channels(), h = shape.hidden();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LowRankProxy.Layer> layers = new ArrayList<>();
        for (int l = 0; l < shape.layers(); l++) {
            int[] channels = new int[d];
            for (int i = 0; i < d; i++) {
                channels[i] = (int) ((long) i * shape.intermediate() / d);
            }
            layers.add(new LowRankProxy.Layer(channels, random(rnd, r * h, h), random(rnd, d * r, r),
                    random(rnd, r * h, h), random(rnd, d * r, r),
                    shape.variant() == ProxyVariant.DOWN_PROJECTED ? random(rnd, h * d, d) : null));
        }
        return new LowRankProxy(shape, ModelIdentity.of(config, weights), 0.2f, 1, layers); // "1 token": none, really
    }

    /** Uniform values with variance 1/fanIn, like the synthetic weights. */
    private static float[] random(SplittableRandom rnd, int n, int fanIn) {
        float bound = (float) Math.sqrt(3.0 / fanIn);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1) * bound;
        }
        return a;
    }
}
