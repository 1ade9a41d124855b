package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;
import dev.sptsrag.inference.model.ModelConfig;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The per-request SPTS contract: which mechanisms run, from which layer, and how many tokens each
 * stage keeps. Layers are 0-based. Stage {@code k} runs from {@code boundaries[k-1]} (or
 * {@code startLayer}) up to {@code boundaries[k]} with {@code stageBudgets[k]} active tokens; the last
 * budget continues to the final layer. At every boundary (mode {@link SkipMode#SPTS}) up to
 * {@code removalPerBoundary} candidates are removed for good.
 *
 * @param mode               which mechanisms run
 * @param startLayer         first layer that may skip; earlier layers run every token
 * @param boundaries         stage boundaries, strictly increasing, each after {@code startLayer}
 * @param stageBudgets       active tokens per stage, one per boundary (the last continues)
 * @param removalPerBoundary candidates removed at each boundary (SPTS mode)
 * @param sinkTokens         first tokens always kept active (attention sinks); 0 by default
 * @param recentTokens       last tokens always kept active (besides the last one, which always is)
 * @param criterion          which scores choose the active tokens: the layer's own probe (SPTS) or the
 *                           previous layer's (the LazyLLM-style baseline)
 * @param spanTokens         0 (the paper's choice), or w: every candidate's score becomes the highest probe
 *                           score among itself and the w candidates before it, so a chosen token brings the
 *                           tokens that follow it — the span a decode copies from (an answer's digits after
 *                           its first, which the last token barely attends to); our option, see docs/spts.md
 */
public record SkipBudget(SkipMode mode, int startLayer, int[] boundaries, int[] stageBudgets, int removalPerBoundary,
                         int sinkTokens, int recentTokens, SelectionCriterion criterion, int spanTokens) {

    /** The widest span option accepted: far beyond any answer a decode copies, and cheap to pool. */
    public static final int MAX_SPAN_TOKENS = 256;

    /** No skipping. */
    public static final SkipBudget OFF = new SkipBudget(SkipMode.FULL, 0, new int[0], new int[0], 0, 0, 0);

    /** The paper's Llama-3.1-8B setting (32 layers). */
    public static final SkipBudget LLAMA_3_1_8B = new SkipBudget(SkipMode.SPTS, 10, new int[] {13, 18, 23, 28},
            new int[] {9 * 1024, 7 * 1024, 4 * 1024, 2 * 1024}, 1024, 0, 0);

    /** The paper's Qwen-2.5-7B setting (28 layers). */
    public static final SkipBudget QWEN_2_5_7B = new SkipBudget(SkipMode.SPTS, 9, new int[] {12, 16, 20, 24},
            new int[] {13 * 1024, 10 * 1024, 7 * 1024, 4 * 1024}, 2 * 1024, 0, 0);

    private static final Map<String, Integer> PAPER_DEPTHS = Map.of("llama", 32, "qwen", 28);

    /** Token budgets of the {@code demo} preset's three stages (see {@link #demo}). */
    private static final int[] DEMO_BUDGETS = {896, 704, 512};

    /**
     * Spans of the {@code demo} preset: the demo model was trained with SPTS steps at this preset, spans
     * included (tools/demo-model/train.py, DEMO_PRESET), so that a chosen token keeps the answer after it.
     */
    public static final int DEMO_SPAN_TOKENS = 48;

    /** A budget chosen by the layer's own probe (SPTS), without spans. */
    public SkipBudget(SkipMode mode, int startLayer, int[] boundaries, int[] stageBudgets, int removalPerBoundary,
                      int sinkTokens, int recentTokens) {
        this(mode, startLayer, boundaries, stageBudgets, removalPerBoundary, sinkTokens, recentTokens,
                SelectionCriterion.SELF_PROBE, 0);
    }

    /** A budget chosen by {@code criterion}, without spans. */
    public SkipBudget(SkipMode mode, int startLayer, int[] boundaries, int[] stageBudgets, int removalPerBoundary,
                      int sinkTokens, int recentTokens, SelectionCriterion criterion) {
        this(mode, startLayer, boundaries, stageBudgets, removalPerBoundary, sinkTokens, recentTokens, criterion, 0);
    }

    public SkipBudget {
        if (mode == null) {
            throw new InvalidSkipBudgetException("mode", "skip budget: mode is required (FULL, PAP, PAP_LTP or SPTS)");
        }
        if (criterion == null) {
            criterion = SelectionCriterion.SELF_PROBE;
        }
        if (spanTokens < 0 || spanTokens > MAX_SPAN_TOKENS) {
            throw new InvalidSkipBudgetException("spanTokens", "skip budget: spanTokens must be within 0.."
                    + MAX_SPAN_TOKENS + ", was " + spanTokens);
        }
        boundaries = boundaries == null ? new int[0] : boundaries.clone();
        stageBudgets = stageBudgets == null ? new int[0] : stageBudgets.clone();
        if (mode != SkipMode.FULL) {
            if (startLayer < 0) {
                throw new InvalidSkipBudgetException("startLayer", "skip budget: startLayer must be >= 0, was "
                        + startLayer);
            }
            if (stageBudgets.length == 0) {
                throw new InvalidSkipBudgetException("stageBudgets", "skip budget: stageBudgets needs at least one budget");
            }
            if (boundaries.length != stageBudgets.length) {
                throw new InvalidSkipBudgetException("stageBudgets", "skip budget: one stage budget per boundary; "
                        + boundaries.length + " boundaries but " + stageBudgets.length + " budgets");
            }
            int previous = startLayer;
            for (int i = 0; i < boundaries.length; i++) {
                if (boundaries[i] <= previous) {
                    throw new InvalidSkipBudgetException("boundaries[" + i + "]", "skip budget: boundaries must "
                            + "increase and come after startLayer " + startLayer + "; boundary " + i + " is "
                            + boundaries[i] + " after " + previous);
                }
                previous = boundaries[i];
            }
            for (int i = 0; i < stageBudgets.length; i++) {
                if (stageBudgets[i] < 1) {
                    throw new InvalidSkipBudgetException("stageBudgets[" + i + "]", "skip budget: stageBudgets[" + i
                            + "] must be >= 1 token, was " + stageBudgets[i]);
                }
            }
            if (removalPerBoundary < 0) {
                throw new InvalidSkipBudgetException("removalPerBoundary", "skip budget: removalPerBoundary must be >= 0, "
                        + "was " + removalPerBoundary);
            }
            if (sinkTokens < 0 || recentTokens < 0) {
                throw new InvalidSkipBudgetException(sinkTokens < 0 ? "sinkTokens" : "recentTokens",
                        "skip budget: sinkTokens and recentTokens must be >= 0, were " + sinkTokens + " and "
                                + recentTokens);
            }
            int smallest = Arrays.stream(stageBudgets).min().orElseThrow();
            if (sinkTokens + recentTokens + 1 > smallest) {
                throw new InvalidSkipBudgetException("sinkTokens", "skip budget: sinkTokens + recentTokens + the last "
                        + "token (" + (sinkTokens + recentTokens + 1) + ") must fit the smallest stage budget (" + smallest + ")");
            }
            if (criterion == SelectionCriterion.PREVIOUS_LAYER && startLayer < 1) {
                throw new InvalidSkipBudgetException("criterion", "skip budget: criterion PREVIOUS_LAYER needs "
                        + "startLayer >= 1 (layer 0 has no previous layer to rank its tokens)");
            }
        }
    }

    /**
     * A named budget for {@code config}: {@code off}; {@code llama} or {@code qwen} (the paper's settings
     * for those families, layer positions scaled to this model's depth); {@code default} (the setting of
     * the model's family); {@code demo} (small models, see {@link #demo}); optionally suffixed {@code :pap} or
     * {@code :pap-ltp} for the ablation modes, or {@code :prev-layer} for the same schedule chosen by the previous
     * layer's attention ({@link SelectionCriterion#PREVIOUS_LAYER}, the LazyLLM-style baseline).
     */
    public static SkipBudget preset(String name, ModelConfig config) {
        String[] parts = name.trim().toLowerCase(Locale.ROOT).split(":", 2);
        String family = parts[0];
        SelectionCriterion criterion = SelectionCriterion.SELF_PROBE;
        SkipMode mode = SkipMode.SPTS;
        if (parts.length == 2) {
            switch (parts[1]) {
                case "pap" -> mode = SkipMode.PAP;
                case "pap-ltp" -> mode = SkipMode.PAP_LTP;
                case "spts" -> mode = SkipMode.SPTS;
                case "prev-layer" -> criterion = SelectionCriterion.PREVIOUS_LAYER;
                default -> throw new IllegalArgumentException("unknown skip mode '" + parts[1] + "' in preset '" + name
                        + "'; use :pap, :pap-ltp, :spts or :prev-layer");
            }
        }
        if (family.equals("off") || family.equals("full")) {
            return OFF;
        }
        if (family.equals("default")) {
            family = config.architecture().skipPresetFamily();
        }
        SkipBudget base = switch (family) {
            case "llama" -> LLAMA_3_1_8B.scaledTo(PAPER_DEPTHS.get(family), config.layerCount());
            case "qwen" -> QWEN_2_5_7B.scaledTo(PAPER_DEPTHS.get(family), config.layerCount());
            case "demo" -> demo(config.layerCount());
            default -> throw new IllegalArgumentException("unknown skip preset '" + name
                    + "'; use off, default, llama, qwen or demo (optionally with :pap, :pap-ltp or :prev-layer)");
        };
        return base.withMode(mode).withCriterion(criterion);
    }

    /**
     * The preset for small long-context models such as the demo model (8 layers): the first quarter of the
     * layers (at least one) runs in full, the rest is split into three stages of about equal depth keeping
     * 896, 704 and 512 tokens, with 256 candidates removed at each inner boundary. A "4K" prompt of the task
     * generators is up to one paragraph short of 4096 tokens; at 3584 or more, every skipping layer keeps at
     * most 25% of the tokens (the deepest 512, at most 1/7). A stage left without layers (very shallow models)
     * is dropped; the deepest (512) always has one. Candidates are scored over spans of
     * {@link #DEMO_SPAN_TOKENS} (the paper's presets use none).
     */
    public static SkipBudget demo(int layers) {
        if (layers < 2) {
            throw new IllegalArgumentException("the demo skip preset needs at least 2 layers, the model has " + layers);
        }
        int start = Math.max(1, (int) Math.round(layers / 4.0));
        int skipping = layers - start;
        int[] stageStart = new int[DEMO_BUDGETS.length];
        for (int k = 0; k < stageStart.length; k++) {
            stageStart[k] = start + k * skipping / DEMO_BUDGETS.length; // rounded down: the deepest stage is never empty
        }
        // Stage k runs from its start to the next stage's start; the last to the final layer. A stage of no
        // layers (its start equals the next one's) is dropped.
        int[] boundaries = new int[DEMO_BUDGETS.length];
        int[] budgets = new int[DEMO_BUDGETS.length];
        int n = 0;
        for (int k = 0; k < stageStart.length; k++) {
            int end = k + 1 < stageStart.length ? stageStart[k + 1] : layers;
            if (end > stageStart[k]) {
                boundaries[n] = end;
                budgets[n] = DEMO_BUDGETS[k];
                n++;
            }
        }
        return new SkipBudget(SkipMode.SPTS, start, Arrays.copyOf(boundaries, n), Arrays.copyOf(budgets, n),
                256, 0, 0, SelectionCriterion.SELF_PROBE, DEMO_SPAN_TOKENS);
    }

    /**
     * A budget given as a preset name (see {@link #preset}) or as a JSON object, e.g.
     * {@code {"mode":"SPTS","startLayer":10,"boundaries":[13,18],"stageBudgets":[9216,4096],
     * "removalPerBoundary":1024,"sinkTokens":0,"recentTokens":0}} (fields other than mode default to 0
     * or empty; optional {@code "criterion"} and {@code "spanTokens"}).
     */
    public static SkipBudget parse(String text, ModelConfig config) {
        String t = text.trim();
        if (!t.startsWith("{")) {
            return preset(t, config);
        }
        try {
            return fromJson(Json.parseObject(t, "skip budget"));
        } catch (ModelFormatException e) { // the JSON reader's error type is about files; this is a request
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static SkipBudget fromJson(Map<String, Object> o) {
        String mode = JsonValues.string(o, "mode", "skip budget");
        SkipMode m;
        try {
            m = SkipMode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("skip budget: unknown mode '" + mode + "'; use FULL, PAP, PAP_LTP or SPTS");
        }
        String criterion = JsonValues.optString(o, "criterion", SelectionCriterion.SELF_PROBE.name(), "skip budget");
        SelectionCriterion c;
        try {
            c = SelectionCriterion.valueOf(criterion.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("skip budget: unknown criterion '" + criterion
                    + "'; use SELF_PROBE or PREVIOUS_LAYER");
        }
        return new SkipBudget(m, intField(o, "startLayer"), ints(o, "boundaries"), ints(o, "stageBudgets"),
                intField(o, "removalPerBoundary"), intField(o, "sinkTokens"), intField(o, "recentTokens"), c,
                intField(o, "spanTokens"));
    }

    /** This budget as the JSON object {@link #parse} reads. */
    public String toJson() {
        return "{\"mode\":\"" + mode + "\",\"startLayer\":" + startLayer + ",\"boundaries\":"
                + Arrays.toString(boundaries).replace(" ", "") + ",\"stageBudgets\":"
                + Arrays.toString(stageBudgets).replace(" ", "") + ",\"removalPerBoundary\":" + removalPerBoundary
                + ",\"sinkTokens\":" + sinkTokens + ",\"recentTokens\":" + recentTokens + ",\"criterion\":\""
                + criterion + "\"" + (spanTokens > 0 ? ",\"spanTokens\":" + spanTokens : "") + "}";
    }

    /** An optional integer field (0 when absent) that fits an int; a larger one is refused, never wrapped. */
    private static int intField(Map<String, Object> o, String key) {
        return toInt(JsonValues.optInteger(o, key, 0, "skip budget"), key);
    }

    private static int toInt(long value, String key) {
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("skip budget: " + key + " = " + value + " is out of range");
        }
        return (int) value;
    }

    private static int[] ints(Map<String, Object> o, String key) {
        if (!o.containsKey(key)) {
            return new int[0];
        }
        java.util.List<Object> list = JsonValues.array(o, key, "skip budget");
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number num) || num.doubleValue() != Math.rint(num.doubleValue())) {
                throw new IllegalArgumentException("skip budget: " + key + "[" + i + "] must be an integer");
            }
            double d = num.doubleValue();
            if (d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("skip budget: " + key + "[" + i + "] = " + num + " is out of range");
            }
            out[i] = num.intValue();
        }
        return out;
    }

    /** The same budget with another mode. */
    public SkipBudget withMode(SkipMode m) {
        return new SkipBudget(m, startLayer, boundaries, stageBudgets, removalPerBoundary, sinkTokens, recentTokens,
                criterion, spanTokens);
    }

    /** The same budget chosen by another criterion. */
    public SkipBudget withCriterion(SelectionCriterion c) {
        return new SkipBudget(mode, startLayer, boundaries, stageBudgets, removalPerBoundary, sinkTokens, recentTokens, c,
                spanTokens);
    }

    /**
     * Layer positions moved to a model of {@code layers} layers in proportion to the depth they were set
     * for; token budgets stay (the number of informative tokens does not depend on depth). Boundaries
     * that would collide are pushed apart; ones that fall off the end are dropped with their budgets.
     */
    public SkipBudget scaledTo(int fromLayers, int layers) {
        if (mode == SkipMode.FULL || fromLayers == layers) {
            return this;
        }
        int start = Math.min(layers - 1, (int) Math.round(startLayer * (double) layers / fromLayers));
        int[] b = new int[boundaries.length];
        int n = 0;
        int previous = start;
        for (int boundary : boundaries) {
            int scaled = Math.max(previous + 1, (int) Math.round(boundary * (double) layers / fromLayers));
            if (scaled >= layers) {
                break;
            }
            b[n++] = scaled;
            previous = scaled;
        }
        if (n == 0) {
            // Too shallow for any boundary: one stage with the first budget from the start layer on.
            return new SkipBudget(mode, start, new int[] {layers}, new int[] {stageBudgets[0]}, 0, sinkTokens,
                    recentTokens, criterion, spanTokens);
        }
        return new SkipBudget(mode, start, Arrays.copyOf(b, n), Arrays.copyOf(stageBudgets, n), removalPerBoundary,
                sinkTokens, recentTokens, criterion, spanTokens);
    }

    @Override
    public int[] boundaries() {
        return boundaries.clone();
    }

    @Override
    public int[] stageBudgets() {
        return stageBudgets.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkipBudget b && mode == b.mode && startLayer == b.startLayer
                && Arrays.equals(boundaries, b.boundaries) && Arrays.equals(stageBudgets, b.stageBudgets)
                && removalPerBoundary == b.removalPerBoundary && sinkTokens == b.sinkTokens
                && recentTokens == b.recentTokens && criterion == b.criterion && spanTokens == b.spanTokens;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {mode.ordinal(), startLayer, Arrays.hashCode(boundaries),
                Arrays.hashCode(stageBudgets), removalPerBoundary, sinkTokens, recentTokens, criterion.ordinal(), spanTokens});
    }

    @Override
    public String toString() {
        return mode == SkipMode.FULL ? "FULL" : mode + " from layer " + startLayer + ", boundaries "
                + Arrays.toString(boundaries) + ", budgets " + Arrays.toString(stageBudgets) + ", remove "
                + removalPerBoundary + " per boundary, sinks " + sinkTokens + ", recent " + recentTokens
                + (criterion == SelectionCriterion.PREVIOUS_LAYER ? ", chosen by the previous layer's attention" : "")
                + (spanTokens > 0 ? ", spans of " + spanTokens : "");
    }
}
