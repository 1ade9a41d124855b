package dev.sptsrag.inference.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The globals and filters Hugging Face adds to the Jinja2 environment of chat templates, plus the
 * helpers the source translation relies on, in Jinjava form: {@code raise_exception(msg)},
 * {@code strftime_now(fmt)}, {@code tojson} (Python {@code json.dumps}), {@code trim} (Python
 * {@code str.strip}), {@code items}, and {@code py_slice} for stepped slices.
 */
final class ChatTemplateFunctions {
    private ChatTemplateFunctions() {
    }

    /** Thrown by {@code raise_exception}; {@link ChatTemplate} turns it into a {@link ChatTemplateException}. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    public static Object raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    /** Python's {@code datetime.now().strftime(fmt)} for the directives templates use. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    /**
     * What Jinja2 prints for a value: Python's {@code str()}, so booleans are {@code True}/{@code False}
     * and containers use Python's repr. Null prints as nothing: Jinjava cannot tell an undefined
     * variable (which Jinja2 prints as nothing) from None (which it prints as "None"), and the former
     * is what templates print in practice (optional message fields).
     */
    public static Object pyStr(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Boolean || v instanceof Number || v instanceof Map<?, ?> || v instanceof Collection<?>) {
            StringBuilder sb = new StringBuilder();
            repr(sb, v, true);
            return sb.toString();
        }
        return v; // strings, safe strings and anything Jinjava knows how to print
    }

    private static void repr(StringBuilder sb, Object v, boolean top) {
        if (v == null) {
            sb.append("None");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (v instanceof Double || v instanceof Float) {
            sb.append(PyJson.pyFloat(((Number) v).doubleValue()).replace("Infinity", "inf").replace("NaN", "nan"));
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ");
                first = false;
                repr(sb, e.getKey(), false);
                sb.append(": ");
                repr(sb, e.getValue(), false);
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                sb.append(first ? "" : ", ");
                first = false;
                repr(sb, o, false);
            }
            sb.append(']');
        } else if (v instanceof CharSequence cs && !top) {
            stringRepr(sb, cs.toString());
        } else {
            sb.append(v);
        }
    }

    /** Python's repr of a str: single quotes unless only double quotes avoid escaping. */
    private static void stringRepr(StringBuilder sb, String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7F) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append(q);
    }

    /** {@code seq[start:stop:step]} with Python's rules for lists and strings. */
    public static Object pySlice(Object seq, Object start, Object stop, Object step) {
        long st = step == null ? 1 : ((Number) step).longValue();
        if (st == 0) {
            throw new ChatTemplateException("slice step cannot be zero");
        }
        List<Object> items = new ArrayList<>();
        boolean string = seq instanceof CharSequence;
        if (string) {
            seq.toString().codePoints().forEach(cp -> items.add(Character.toString(cp)));
        } else if (seq instanceof Collection<?> c) {
            items.addAll(c);
        } else if (seq == null) {
            throw new ChatTemplateException("cannot slice none");
        } else {
            throw new ChatTemplateException("cannot slice " + seq.getClass().getSimpleName());
        }
        int n = items.size();
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(((Number) start).longValue(), n, 0, n);
            hi = stop == null ? n : clamp(((Number) stop).longValue(), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(((Number) start).longValue(), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(((Number) stop).longValue(), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get((int) i));
        }
        if (string) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return sb.toString();
        }
        return out;
    }

    private static long clamp(long i, int n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }

    /** Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys). */
    static final class ToJson implements AdvancedFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            Object sort = kwargs.getOrDefault("sort_keys", false);
            return PyJson.dumps(var, indent == null ? -1 : ((Number) indent).intValue(), Boolean.TRUE.equals(sort));
        }
    }

    /** Jinja2's trim: Python's str.strip(chars), so Unicode whitespace goes too. */
    static final class Trim implements AdvancedFilter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (var == null) {
                return "";
            }
            Object chars = kwargs.getOrDefault("chars", args.length > 0 ? args[0] : null);
            return PythonMethods.strip(var.toString(), chars == null ? null : chars.toString(), true, true);
        }
    }

    /** Jinja2's string filter: Python's str(), so {@code true|string} is "True". */
    static final class PyString implements AdvancedFilter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return var == null ? "None" : pyStr(var).toString();
        }
    }

    /** Jinja2's length/count: Python's len(), so a string's length counts code points, not UTF-16 units. */
    static final class Length implements AdvancedFilter {
        private final String name;
        private final com.hubspot.jinjava.lib.filter.LengthFilter fallback = new com.hubspot.jinjava.lib.filter.LengthFilter();

        Length(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (var instanceof CharSequence cs) {
                String s = cs.toString();
                return (long) s.codePointCount(0, s.length());
            }
            return fallback.filter(var, interpreter);
        }
    }

    /** Jinja2's items filter: a mapping's (key, value) pairs for {@code for k, v in d|items}. */
    static final class Items implements AdvancedFilter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (var instanceof Map<?, ?> m) {
                return new ArrayList<>(m.entrySet());
            }
            throw new ChatTemplateException("items: expected a mapping");
        }
    }
}
