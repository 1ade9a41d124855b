package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.json.JsonWriter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an evaluation found: every sample under every mode, and the cells (task × length × mode) with
 * accuracy, TTFT, prefill FLOPs and what was skipped. Printable as a table and as JSON.
 */
public final class EvalReport {
    private final List<EvalMode> modes;
    private final int layers;
    private final List<SampleResult> results;
    private final List<EvalCell> cells;

    EvalReport(List<EvalMode> modes, int layers, List<SampleResult> results) {
        this.modes = List.copyOf(modes);
        this.layers = layers;
        this.results = List.copyOf(results);
        this.cells = aggregate();
    }

    public List<EvalMode> modes() { return modes; }

    public List<SampleResult> results() { return results; }

    /** Cells in the order tasks and lengths were first met, each with the modes in the order asked. */
    public List<EvalCell> cells() { return cells; }

    /** The cell of {@code task} at {@code length} under {@code mode}. */
    public EvalCell cell(String task, int length, EvalMode mode) {
        return cells.stream().filter(c -> c.task().equals(task) && c.length() == length && c.mode() == mode).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no cell " + task + " × " + length + " × " + mode));
    }

    /** Mean score over every sample of {@code mode}, in percent. */
    public double accuracy(EvalMode mode) {
        return 100 * of(mode).stream().mapToDouble(SampleResult::score).average().orElse(Double.NaN);
    }

    /** Prefill FLOPs of {@code mode} over those of the full pass, over every sample. */
    public double flopsVsFull(EvalMode mode) {
        List<SampleResult> r = of(mode);
        double executed = r.stream().mapToDouble(s -> s.flops().total()).sum();
        double full = r.stream().mapToDouble(s -> s.fullFlops().total()).sum();
        return executed / full;
    }

    private List<SampleResult> of(EvalMode mode) {
        return results.stream().filter(r -> r.mode() == mode).toList();
    }

    private List<EvalCell> aggregate() {
        Map<String, List<SampleResult>> groups = new LinkedHashMap<>();
        for (SampleResult r : results) {
            groups.computeIfAbsent(r.task() + "\u0000" + r.length(), k -> new ArrayList<>()).add(r);
        }
        List<EvalCell> out = new ArrayList<>();
        for (List<SampleResult> group : groups.values()) {
            List<EvalCell> row = new ArrayList<>();
            for (EvalMode m : modes) {
                List<SampleResult> rs = group.stream().filter(r -> r.mode() == m).toList();
                if (!rs.isEmpty()) {
                    row.add(cell(m, rs));
                }
            }
            // Relative to FULL on the same samples (a group's modes ran the same prompts).
            double full = row.stream().filter(c -> c.mode() == EvalMode.FULL).mapToDouble(EvalCell::accuracy)
                    .findFirst().orElse(Double.NaN);
            for (EvalCell c : row) {
                out.add(new EvalCell(c.task(), c.length(), c.mode(), c.samples(), c.accuracy(),
                        full > 0 ? c.accuracy() / full : Double.NaN, c.meanTtftMillis(), c.meanPromptTokens(),
                        c.meanGflops(), c.flopsVsFull(), c.attentionKept(), c.kvKept()));
            }
        }
        return out;
    }

    private EvalCell cell(EvalMode m, List<SampleResult> rs) {
        double accuracy = 100 * rs.stream().mapToDouble(SampleResult::score).average().orElseThrow();
        double[] kept = new double[layers];
        for (SampleResult r : rs) {
            int[] a = r.attentionActive();
            for (int l = 0; l < layers; l++) {
                kept[l] += (double) a[l] / r.promptTokens() / rs.size();
            }
        }
        double flops = rs.stream().mapToDouble(r -> r.flops().total()).sum();
        double full = rs.stream().mapToDouble(r -> r.fullFlops().total()).sum();
        return new EvalCell(rs.getFirst().task(), rs.getFirst().length(), m, rs.size(), accuracy, Double.NaN,
                rs.stream().mapToDouble(r -> r.ttftNanos() / 1e6).average().orElseThrow(),
                rs.stream().mapToDouble(SampleResult::promptTokens).average().orElseThrow(), flops / rs.size() / 1e9,
                flops / full, kept, rs.stream().mapToDouble(SampleResult::kvFraction).average().orElseThrow());
    }

    /** The cells as a fixed-width table, then one summary line per mode. */
    public String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-16s %6s %-10s %4s %6s %6s %8s %8s %9s %7s %9s%n", "task", "length", "mode", "n", "acc%",
                "/FULL", "TTFT ms", "GFLOP", "FLOP/FULL", "KV kept", "last kept"));
        for (EvalCell c : cells) {
            out.append(String.format("%-16s %6d %-10s %4d %6.1f %6s %8.1f %8.3f %9.3f %6.1f%% %8.1f%%%n", c.task(),
                    c.length(), c.mode(), c.samples(), c.accuracy(),
                    Double.isNaN(c.accuracyVsFull()) ? "-" : String.format("%.3f", c.accuracyVsFull()),
                    c.meanTtftMillis(), c.meanGflops(), c.flopsVsFull(), 100 * c.kvKept(), 100 * c.deepestKept()));
        }
        for (EvalMode m : modes) {
            out.append(String.format("all %-10s accuracy %6.2f%%, prefill FLOPs %.3f of FULL%n", m, accuracy(m),
                    flopsVsFull(m)));
        }
        return out.toString();
    }

    /** The report as a JSON object: {@code header} (run settings), summary per mode, cells and samples. */
    public String toJson(Map<String, Object> header) {
        Map<String, Object> o = new LinkedHashMap<>(Objects.requireNonNull(header));
        Map<String, Object> summary = new LinkedHashMap<>();
        for (EvalMode m : modes) {
            summary.put(m.name(), Map.of("accuracy", accuracy(m), "flopsVsFull", flopsVsFull(m)));
        }
        o.put("summary", summary);
        List<Object> cellList = new ArrayList<>();
        for (EvalCell c : cells) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("task", c.task());
            j.put("length", c.length());
            j.put("mode", c.mode().name());
            j.put("samples", c.samples());
            j.put("accuracy", c.accuracy());
            j.put("accuracyVsFull", Double.isNaN(c.accuracyVsFull()) ? null : c.accuracyVsFull());
            j.put("meanTtftMillis", c.meanTtftMillis());
            j.put("meanPromptTokens", c.meanPromptTokens());
            j.put("meanPrefillGflops", c.meanGflops());
            j.put("prefillFlopsVsFull", c.flopsVsFull());
            j.put("attentionKeptPerLayer", c.attentionKept());
            j.put("kvKept", c.kvKept());
            cellList.add(j);
        }
        o.put("cells", cellList);
        List<Object> sampleList = new ArrayList<>();
        for (SampleResult r : results) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("sample", r.sample());
            j.put("task", r.task());
            j.put("length", r.length());
            j.put("mode", r.mode().name());
            j.put("promptTokens", r.promptTokens());
            j.put("score", r.score());
            j.put("output", r.output());
            j.put("ttftMillis", r.ttftNanos() / 1e6);
            j.put("prefillFlops", r.flops().total());
            j.put("fullPrefillFlops", r.fullFlops().total());
            j.put("attentionActive", r.attentionActive());
            sampleList.add(j);
        }
        o.put("samples", sampleList);
        return JsonWriter.pretty(o);
    }
}
