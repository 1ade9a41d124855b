package dev.sptsrag.inference.tokenizer;

/**
 * Translates a Jinja2 chat template into a Jinjava template that renders the same text. Hugging Face
 * renders chat templates with Jinja2 configured with {@code trim_blocks} and {@code lstrip_blocks}, no
 * trailing newline kept; Jinjava's versions of those rules differ in corner cases. So this class lexes
 * the template the way Jinja2's lexer does, applies Jinja2's whitespace rules itself ({@code -} and
 * {@code +} markers, lstrip/trim of block and comment tags, newline normalisation), drops comments,
 * and emits plain tags whose expressions {@link JinjaExpression} has made Jinjava-compatible. The
 * result has no whitespace control left for Jinjava to interpret.
 */
final class JinjaSource {
    private final String src;
    private final StringBuilder out = new StringBuilder();
    private int pos;
    private boolean lineStarting = true;

    private JinjaSource(String src) {
        this.src = src;
    }

    static String toJinjava(String jinja2Source) {
        JinjaSource s = new JinjaSource(normalizeNewlines(jinja2Source));
        s.run();
        return s.out.toString();
    }

    /** Jinja2 turns \r\n and \r into \n everywhere and drops one trailing newline (keep_trailing_newline=False). */
    private static String normalizeNewlines(String s) {
        String n = s.replace("\r\n", "\n").replace('\r', '\n');
        return n.endsWith("\n") ? n.substring(0, n.length() - 1) : n;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = nextTagStart(pos);
            if (start < 0) {
                out.append(src, pos, n);
                break;
            }
            char kind = src.charAt(start + 1);
            int p = start + 2;
            char sign = 0;
            if (p < n && (src.charAt(p) == '-' || src.charAt(p) == '+')) {
                sign = src.charAt(p);
                p++;
            }
            String text = src.substring(pos, start);
            int rawBodyStart = kind == '%' ? rawBegin(p) : -1;
            out.append(leftControl(text, sign, kind != '{'));
            if (rawBodyStart >= 0) {
                raw(rawBodyStart);
            } else if (kind == '#') {
                comment(p, start);
            } else {
                tag(kind, p, start);
            }
        }
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** The text before a tag: all trailing whitespace goes for '-', trailing indentation for lstrip_blocks. */
    private String leftControl(String text, char sign, boolean lstripApplies) {
        if (sign == '-') {
            int end = text.length();
            while (end > 0 && isPyWhitespace(text.charAt(end - 1))) {
                end--;
            }
            return text.substring(0, end);
        }
        if (sign != '+' && lstripApplies) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length() && allPyWhitespace(text, lineStart)) {
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    private void comment(int p, int start) {
        int e = src.indexOf("#}", p);
        if (e < 0) {
            throw new ChatTemplateException("chat template: unterminated comment at offset " + start);
        }
        char endSign = e - 1 >= p ? src.charAt(e - 1) : 0;
        finishTag(e + 2, endSign == '-' || endSign == '+' ? endSign : 0, true);
    }

    /** A {{ ... }} or {% ... %} tag: the body ends at the first end marker outside strings and brackets. */
    private void tag(char kind, int p, int start) {
        int depth = 0;
        int i = p;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                i = JinjaExpression.endOfString(src, i);
                if (i < 0) {
                    break;
                }
                continue;
            }
            if (depth == 0) {
                char close = kind == '%' ? '%' : '}';
                if ((c == '-' || (c == '+' && kind == '%')) && src.startsWith(close + "}", i + 1)) {
                    String body = src.substring(p, i);
                    emitTag(kind, body);
                    finishTag(i + 3, c, kind == '%');
                    return;
                }
                if (c == close && i + 1 < n && src.charAt(i + 1) == '}') {
                    emitTag(kind, src.substring(p, i));
                    finishTag(i + 2, (char) 0, kind == '%');
                    return;
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
            i++;
        }
        throw new ChatTemplateException("chat template: unterminated tag at offset " + start);
    }

    /**
     * Emits a translated tag. Output expressions print through {@code py_str} (Python's str(): True,
     * not true). Jinjava ends a tag at the first closing marker even inside nested braces, so
     * "}}" and "%}" outside string literals get a space that changes nothing for the expression.
     */
    private void emitTag(char kind, String body) {
        String rewritten = separateClosers(JinjaExpression.rewrite(body, kind == '%'));
        if (kind == '%') {
            out.append("{% ").append(rewritten).append(" %}");
        } else {
            out.append("{{ py_str(").append(rewritten).append(") }}");
        }
    }

    private static String separateClosers(String expr) {
        StringBuilder sb = new StringBuilder(expr.length());
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                int end = JinjaExpression.endOfString(expr, i);
                sb.append(expr, i, end);
                i = end - 1;
                continue;
            }
            sb.append(c);
            if ((c == '}' || c == '%') && i + 1 < expr.length() && expr.charAt(i + 1) == '}') {
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    /** After an end marker: '-' eats all following whitespace; a plain block/comment end eats one newline. */
    private void finishTag(int end, char sign, boolean trimApplies) {
        int n = src.length();
        if (sign == '-') {
            while (end < n && isPyWhitespace(src.charAt(end))) {
                end++;
            }
        } else if (sign != '+' && trimApplies && end < n && src.charAt(end) == '\n') {
            end++;
        }
        pos = end;
        lineStarting = end > 0 && src.charAt(end - 1) == '\n';
    }

    /** If {@code {%[-+]? raw [-]%}} starts at p (after "{%" and its sign), the index after it; else -1. */
    private int rawBegin(int p) {
        int i = skipSpace(p);
        if (!src.startsWith("raw", i)) {
            return -1;
        }
        i = skipSpace(i + 3);
        if (src.startsWith("-%}", i)) {
            int e = i + 3;
            while (e < src.length() && isPyWhitespace(src.charAt(e))) {
                e++;
            }
            return e;
        }
        return src.startsWith("%}", i) ? i + 2 : -1; // no trim_blocks after a raw begin, as in Jinja2
    }

    private void raw(int bodyStart) {
        lineStarting = bodyStart > 0 && src.charAt(bodyStart - 1) == '\n';
        for (int i = src.indexOf("{%", bodyStart); i >= 0; i = src.indexOf("{%", i + 1)) {
            int p = i + 2;
            char sign = 0;
            if (p < src.length() && (src.charAt(p) == '-' || src.charAt(p) == '+')) {
                sign = src.charAt(p);
                p++;
            }
            int j = skipSpace(p);
            if (!src.startsWith("endraw", j)) {
                continue;
            }
            j = skipSpace(j + 6);
            char endSign;
            int end;
            if (src.startsWith("+%}", j) || src.startsWith("-%}", j)) {
                endSign = src.charAt(j);
                end = j + 3;
            } else if (src.startsWith("%}", j)) {
                endSign = 0;
                end = j + 2;
            } else {
                continue;
            }
            String body = leftControl(src.substring(bodyStart, i), sign, true);
            if (!body.isEmpty()) {
                out.append("{% raw %}").append(body).append("{% endraw %}");
            }
            finishTag(end, endSign, true);
            return;
        }
        throw new ChatTemplateException("chat template: {% raw %} without {% endraw %}");
    }

    private int skipSpace(int i) {
        while (i < src.length() && isPyWhitespace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean allPyWhitespace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!isPyWhitespace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Python's str.isspace / re's \s (what Jinja2's whitespace rules use). */
    static boolean isPyWhitespace(char c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }
}
