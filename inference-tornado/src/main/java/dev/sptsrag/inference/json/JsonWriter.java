package dev.sptsrag.inference.json;

import java.util.List;
import java.util.Map;

/**
 * Writes plain Java values as JSON: maps (string keys, in their iteration order), lists, strings, numbers,
 * booleans and null. Non-finite numbers have no JSON form and are refused.
 */
public final class JsonWriter {
    private JsonWriter() {
    }

    /** Compact JSON (one line), e.g. for JSONL. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, -1, 0);
        return out.toString();
    }

    /** Indented JSON (two spaces), for files people read. */
    public static String pretty(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 2, 0);
        return out.append('\n').toString();
    }

    private static void write(Object v, StringBuilder out, int indent, int depth) {
        switch (v) {
            case null -> out.append("null");
            case String s -> string(s, out);
            case Boolean b -> out.append(b);
            case Double d -> number(d, out);
            case Float f -> number(f.doubleValue(), out);
            case Number n -> out.append(n.longValue());
            case Map<?, ?> m -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings: " + e.getKey());
                    }
                    out.append(first ? "" : ",");
                    newline(out, indent, depth + 1);
                    string(key, out);
                    out.append(indent < 0 ? ":" : ": ");
                    write(e.getValue(), out, indent, depth + 1);
                    first = false;
                }
                if (!first) {
                    newline(out, indent, depth);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                // Lists of numbers stay on one line: per-layer arrays are easier to read that way.
                boolean flat = list.stream().allMatch(x -> x instanceof Number);
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : flat && indent >= 0 ? ", " : ",");
                    if (!flat) {
                        newline(out, indent, depth + 1);
                    }
                    write(list.get(i), out, indent, depth + 1);
                }
                if (!flat && !list.isEmpty()) {
                    newline(out, indent, depth);
                }
                out.append(']');
            }
            case int[] a -> write(java.util.Arrays.stream(a).boxed().toList(), out, indent, depth);
            case long[] a -> write(java.util.Arrays.stream(a).boxed().toList(), out, indent, depth);
            case double[] a -> write(java.util.Arrays.stream(a).boxed().toList(), out, indent, depth);
            default -> throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
        }
    }

    private static void number(double d, StringBuilder out) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no form for " + d);
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(d);
        }
    }

    private static void newline(StringBuilder out, int indent, int depth) {
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
