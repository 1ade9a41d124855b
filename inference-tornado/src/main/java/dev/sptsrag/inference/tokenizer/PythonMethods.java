package dev.sptsrag.inference.tokenizer;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code str} and {@code dict} methods for Jinjava expressions. Chat templates are written
 * for Jinja2, where {@code message.content.startswith('<tool')} or {@code x.split('</think>')[-1]}
 * call Python methods; in Jinjava the same expression would find Java's (or no) method. This resolver
 * sits first in Jinjava's chain and answers those calls on strings and maps with Python semantics
 * (split on a literal separator keeping empty parts, strip of Unicode whitespace, code-point
 * indices), leaving every other call to Jinjava.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof CharSequence cs) {
            result = stringMethod(cs.toString(), method.toString(), args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, method.toString(), args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> prefixTest(s, a, true);
            case "endswith" -> prefixTest(s, a, false);
            case "strip" -> strip(s, chars(a), true, true);
            case "lstrip" -> strip(s, chars(a), true, false);
            case "rstrip" -> strip(s, chars(a), false, true);
            case "split" -> split(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? integer(a[1]) : -1);
            case "rsplit" -> rsplit(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? integer(a[1]) : -1);
            case "splitlines" -> splitlines(s);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                    + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "replace" -> replace(s, str(a[0]), str(a[1]), a.length > 2 ? integer(a[2]) : -1);
            case "find" -> {
                int i = s.indexOf(str(a[0]));
                yield (long) (i < 0 ? -1 : s.codePointCount(0, i));
            }
            case "count" -> (long) count(s, str(a[0]));
            case "join" -> join(s, a[0]);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> JinjaSource.isPyWhitespace((char) c));
            case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.equals(s.toLowerCase(Locale.ROOT));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.equals(s.toUpperCase(Locale.ROOT));
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> m, String name, Object[] a) {
        return switch (name) {
            case "get" -> a.length == 0 ? NOT_HANDLED : m.containsKey(a[0]) ? m.get(a[0]) : (a.length > 1 ? a[1] : null);
            case "keys" -> a.length == 0 ? new ArrayList<>(m.keySet()) : NOT_HANDLED;
            case "values" -> a.length == 0 ? new ArrayList<>(m.values()) : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    private static boolean prefixTest(String s, Object[] a, boolean start) {
        List<String> candidates = new ArrayList<>();
        if (a[0] instanceof Collection<?> c) {
            c.forEach(o -> candidates.add(str(o)));
        } else {
            candidates.add(str(a[0]));
        }
        String sub = s;
        if (a.length > 1) {
            int from = pyIndex(s, integer(a[1]));
            int to = a.length > 2 ? pyIndex(s, integer(a[2])) : s.length();
            sub = from <= to ? s.substring(from, to) : "";
        }
        for (String p : candidates) {
            if (start ? sub.startsWith(p) : sub.endsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** A Python index (code points, negative from the end, clamped) as a char offset. */
    private static int pyIndex(String s, long index) {
        int n = s.codePointCount(0, s.length());
        long i = index < 0 ? Math.max(0, n + index) : Math.min(n, index);
        return s.offsetByCodePoints(0, (int) i);
    }

    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? str(a[0]) : null;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end && stripped(s.charAt(start), chars)) {
                start++;
            }
        }
        if (right) {
            while (end > start && stripped(s.charAt(end - 1), chars)) {
                end--;
            }
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? JinjaSource.isPyWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static List<String> split(String s, String sep, long maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && JinjaSource.isPyWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !JinjaSource.isPyWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new ChatTemplateException("split: empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int i = s.indexOf(sep, from);
            if (i < 0) {
                break;
            }
            out.add(s.substring(from, i));
            from = i + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0 || sep == null) {
            if (sep == null && maxsplit >= 0) {
                throw new ChatTemplateException("rsplit with maxsplit on whitespace is not supported");
            }
            return split(s, sep, -1);
        }
        List<String> out = new ArrayList<>();
        int to = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, to - sep.length());
            if (i < 0) {
                break;
            }
            out.addFirst(s.substring(i + sep.length(), to));
            to = i;
        }
        out.addFirst(s.substring(0, to));
        return out;
    }

    /** Python's str.splitlines(): any line boundary ends a line; a final boundary opens no empty line. */
    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean boundary = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E)
                    || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (boundary) {
                out.add(s.substring(from, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                from = i + 1;
            }
        }
        if (from < s.length()) {
            out.add(s.substring(from));
        }
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            sb.appendCodePoint(prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            prevCased = cased;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long k = 0; k < count; k++) {
            int i = s.indexOf(old, from);
            if (i < 0 || old.isEmpty()) {
                break;
            }
            sb.append(s, from, i).append(rep);
            from = i + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            for (Object o : it) {
                parts.add(str(o));
            }
        } else {
            throw new ChatTemplateException("join: argument is not iterable");
        }
        return String.join(sep, parts);
    }

    private static String str(Object o) {
        if (o instanceof CharSequence || o instanceof Character) {
            return o.toString();
        }
        throw new ChatTemplateException("expected a string argument, found " + (o == null ? "none" : o.getClass().getSimpleName()));
    }

    private static long integer(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new ChatTemplateException("expected an integer argument, found " + (o == null ? "none" : o.getClass().getSimpleName()));
    }

    // Not a property resolver: leave every lookup to the rest of the chain.

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }
}
