package dev.sptsrag.inference.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites the body of one Jinja2 tag into an equivalent Jinjava expression, token by token:
 * string literals get Python's escape semantics ({@code '\n'}, {@code '\u00e9'}, unknown escapes kept)
 * and are re-quoted the way Jinjava reads them; {@code True/False/None} become {@code true/false/none};
 * a slice with a step ({@code messages[::-1]}) becomes {@code py_slice(messages, none, none, -1)},
 * which Jinjava's grammar lacks; and keyword-argument values are parenthesised
 * ({@code namespace(i=(messages|length - 1))}), because Jinjava binds {@code name=value} tighter than
 * arithmetic. Each rewrite keeps the meaning of the Jinja2 expression.
 */
final class JinjaExpression {
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "is", "if", "else", "for",
            "recursive", "with", "without", "context", "import", "as", "from");

    enum Kind { NAME, NUMBER, STRING, OP }

    record Tok(Kind kind, int start, int end, String text) {
        boolean is(String op) {
            return kind == Kind.OP && text.equals(op);
        }

        /** Can end an operand that a call, subscript or attribute then applies to. */
        boolean endsOperand() {
            return (kind == Kind.NAME && !KEYWORDS.contains(text)) || kind == Kind.STRING || kind == Kind.NUMBER
                    || is(")") || is("]") || is("}");
        }
    }

    private JinjaExpression() {
    }

    static String rewrite(String body, boolean blockTag) {
        String s = literalsAndConstants(body);
        for (int guard = 0; guard < 1000; guard++) {
            String next = oneSteppedSlice(s);
            if (next == null) {
                break;
            }
            s = next;
        }
        String first = firstName(s);
        if (!blockTag || !(first.equals("macro") || first.equals("call"))) {
            s = keywordArguments(s);
        }
        return s;
    }

    private static String firstName(String s) {
        List<Tok> toks = tokenize(s);
        return !toks.isEmpty() && toks.getFirst().kind() == Kind.NAME ? toks.getFirst().text() : "";
    }

    /** Re-quotes string literals with their Python meaning; maps Python's capitalised constants. */
    private static String literalsAndConstants(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        int last = 0;
        List<Tok> toks = tokenize(s);
        for (int k = 0; k < toks.size(); k++) {
            Tok t = toks.get(k);
            String replacement = null;
            if (t.kind() == Kind.STRING) {
                replacement = quote(pythonStringValue(t.text()));
            } else if (t.kind() == Kind.NAME && (k == 0 || !toks.get(k - 1).is("."))) {
                replacement = switch (t.text()) {
                    case "True" -> "true";
                    case "False" -> "false";
                    case "None" -> "none";
                    default -> null;
                };
            }
            if (replacement != null) {
                out.append(s, last, t.start()).append(replacement);
                last = t.end();
            }
        }
        return out.append(s, last, s.length()).toString();
    }

    /** Rewrites the first {@code x[a:b:c]} found, or returns null. */
    private static String oneSteppedSlice(String s) {
        List<Tok> toks = tokenize(s);
        for (int k = 1; k < toks.size(); k++) {
            if (!toks.get(k).is("[") || !toks.get(k - 1).endsOperand()) {
                continue;
            }
            int close = matching(toks, k);
            if (close < 0) {
                return null;
            }
            List<Integer> colons = new ArrayList<>();
            int depth = 0;
            for (int i = k + 1; i < close; i++) {
                Tok t = toks.get(i);
                if (t.is("(") || t.is("[") || t.is("{")) {
                    depth++;
                } else if (t.is(")") || t.is("]") || t.is("}")) {
                    depth--;
                } else if (depth == 0 && t.is(":")) {
                    colons.add(i);
                }
            }
            if (colons.size() != 2) {
                continue;
            }
            int operandStart = operandStart(toks, k - 1);
            if (operandStart < 0) {
                continue;
            }
            String operand = s.substring(toks.get(operandStart).start(), toks.get(k - 1).end());
            String a = part(s, toks, k, colons.get(0));
            String b = part(s, toks, colons.get(0), colons.get(1));
            String c = part(s, toks, colons.get(1), close);
            return s.substring(0, toks.get(operandStart).start()) + "py_slice(" + operand + ", " + a + ", " + b + ", " + c + ")"
                    + s.substring(toks.get(close).end());
        }
        return null;
    }

    private static String part(String s, List<Tok> toks, int afterTok, int beforeTok) {
        if (beforeTok == afterTok + 1) {
            return "none";
        }
        return "(" + s.substring(toks.get(afterTok + 1).start(), toks.get(beforeTok - 1).end()) + ")";
    }

    /**
     * First token of the postfix chain ({@code a.b(c)[d]}) that ends at token {@code i}, walking back over
     * attribute dots, calls and subscripts; -1 if there is none.
     */
    private static int operandStart(List<Tok> toks, int i) {
        while (i >= 0) {
            Tok t = toks.get(i);
            if (t.is(")") || t.is("]") || t.is("}")) {
                int open = matchingBackward(toks, i);
                if (open < 0) {
                    return -1;
                }
                if (open > 0 && toks.get(open - 1).endsOperand() && !t.is("}")) {
                    i = open - 1; // a call or subscript applied to what precedes
                    continue;
                }
                return open; // a parenthesised expression or a literal list/dict
            }
            if (!t.endsOperand()) {
                return -1;
            }
            if (i >= 2 && toks.get(i - 1).is(".")) {
                i -= 2;
                continue;
            }
            return i;
        }
        return -1;
    }

    /** Wraps every {@code name=value} argument value of a call in parentheses. */
    private static String keywordArguments(String s) {
        List<Tok> toks = tokenize(s);
        List<int[]> wraps = new ArrayList<>();
        for (int k = 1; k < toks.size(); k++) {
            if (!toks.get(k).is("(") || !toks.get(k - 1).endsOperand()) {
                continue;
            }
            int close = matching(toks, k);
            if (close < 0) {
                break;
            }
            int argStart = k + 1;
            int depth = 0;
            for (int i = k + 1; i <= close; i++) {
                Tok t = toks.get(i);
                boolean endOfArg = i == close || (depth == 0 && t.is(","));
                if (endOfArg) {
                    if (i - argStart >= 4 && toks.get(argStart).kind() == Kind.NAME && toks.get(argStart + 1).is("=")) {
                        wraps.add(new int[] {toks.get(argStart + 2).start(), toks.get(i - 1).end()});
                    }
                    argStart = i + 1;
                } else if (t.is("(") || t.is("[") || t.is("{")) {
                    depth++;
                } else if (t.is(")") || t.is("]") || t.is("}")) {
                    depth--;
                }
            }
        }
        if (wraps.isEmpty()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s);
        // Insert from the right so earlier offsets stay valid; nested ranges nest their parentheses.
        List<int[]> inserts = new ArrayList<>();
        for (int[] w : wraps) {
            inserts.add(new int[] {w[1], ')'});
            inserts.add(new int[] {w[0], '('});
        }
        inserts.sort((x, y) -> x[0] != y[0] ? Integer.compare(y[0], x[0]) : Integer.compare(x[1], y[1]));
        for (int[] ins : inserts) {
            out.insert(ins[0], (char) ins[1]);
        }
        return out.toString();
    }

    private static int matching(List<Tok> toks, int open) {
        int depth = 0;
        for (int i = open; i < toks.size(); i++) {
            Tok t = toks.get(i);
            if (t.is("(") || t.is("[") || t.is("{")) {
                depth++;
            } else if (t.is(")") || t.is("]") || t.is("}")) {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static int matchingBackward(List<Tok> toks, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            Tok t = toks.get(i);
            if (t.is(")") || t.is("]") || t.is("}")) {
                depth++;
            } else if (t.is("(") || t.is("[") || t.is("{")) {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Jinja2's expression tokens (whitespace dropped, offsets kept). */
    static List<Tok> tokenize(String s) {
        List<Tok> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (JinjaSource.isPyWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                int end = endOfString(s, i);
                if (end < 0) {
                    throw new ChatTemplateException("chat template: unterminated string in \"" + s + "\"");
                }
                out.add(new Tok(Kind.STRING, i, end, s.substring(i, end)));
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                    j++;
                }
                out.add(new Tok(Kind.NAME, i, j, s.substring(i, j)));
                i = j;
            } else if (c >= '0' && c <= '9') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_'
                        || (s.charAt(j) == '.' && j + 1 < n && Character.isDigit(s.charAt(j + 1)))
                        || ((s.charAt(j) == '+' || s.charAt(j) == '-') && (s.charAt(j - 1) == 'e' || s.charAt(j - 1) == 'E')))) {
                    j++;
                }
                out.add(new Tok(Kind.NUMBER, i, j, s.substring(i, j)));
                i = j;
            } else {
                int len = 1;
                if (i + 1 < n) {
                    String two = s.substring(i, i + 2);
                    if (two.equals("//") || two.equals("**") || two.equals("==") || two.equals("!=")
                            || two.equals("<=") || two.equals(">=")) {
                        len = 2;
                    }
                }
                out.add(new Tok(Kind.OP, i, i + len, s.substring(i, i + len)));
                i += len;
            }
        }
        return out;
    }

    /** Index after the string literal that opens at {@code i}, or -1 if it never closes. */
    static int endOfString(String s, int i) {
        char q = s.charAt(i);
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == q) {
                return j + 1;
            }
        }
        return -1;
    }

    /** The value of a quoted Python string literal (as Jinja2 decodes it). */
    static String pythonStringValue(String literal) {
        String body = literal.substring(1, literal.length() - 1);
        StringBuilder sb = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 >= body.length()) {
                sb.append(c);
                continue;
            }
            char e = body.charAt(++i);
            switch (e) {
                case '\n' -> { } // line continuation
                case '\\', '\'', '"' -> sb.append(e);
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000B');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int v = hex(body, i + 1, digits);
                    if (v < 0) {
                        throw new ChatTemplateException("chat template: bad \\" + e + " escape in " + literal);
                    }
                    sb.appendCodePoint(v);
                    i += digits;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        int k = 1;
                        while (k < 3 && i + 1 < body.length() && body.charAt(i + 1) >= '0' && body.charAt(i + 1) <= '7') {
                            v = v * 8 + (body.charAt(++i) - '0');
                            k++;
                        }
                        sb.append((char) v);
                    } else {
                        sb.append('\\').append(e); // Python keeps unknown escapes as written
                    }
                }
            }
        }
        return sb.toString();
    }

    private static int hex(String s, int from, int digits) {
        if (from + digits > s.length()) {
            return -1;
        }
        int v = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(s.charAt(from + k), 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v <= Character.MAX_CODE_POINT ? v : -1;
    }

    /** A single-quoted literal that Jinjava reads back as {@code value}: only \ and ' need escaping. */
    static String quote(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 2).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '\'') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('\'').toString();
    }
}
