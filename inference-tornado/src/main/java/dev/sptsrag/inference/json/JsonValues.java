package dev.sptsrag.inference.json;

import dev.sptsrag.inference.ModelFormatException;

import java.util.List;
import java.util.Map;

/** Typed access to parsed JSON with errors that name the file and the key. */
public final class JsonValues {
    private JsonValues() {
    }

    public static String string(Map<String, Object> obj, String key, String source) {
        Object v = require(obj, key, source);
        if (v instanceof String s) {
            return s;
        }
        throw typeError(key, "a string", v, source);
    }

    public static String optString(Map<String, Object> obj, String key, String fallback, String source) {
        Object v = obj.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw typeError(key, "a string", v, source);
    }

    public static long integer(Map<String, Object> obj, String key, String source) {
        Object v = require(obj, key, source);
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9.0e15) {
            return d.longValue();
        }
        throw typeError(key, "an integer", v, source);
    }

    public static long optInteger(Map<String, Object> obj, String key, long fallback, String source) {
        return obj.get(key) == null ? fallback : integer(obj, key, source);
    }

    public static double number(Map<String, Object> obj, String key, String source) {
        Object v = require(obj, key, source);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw typeError(key, "a number", v, source);
    }

    public static double optNumber(Map<String, Object> obj, String key, double fallback, String source) {
        return obj.get(key) == null ? fallback : number(obj, key, source);
    }

    public static boolean optBoolean(Map<String, Object> obj, String key, boolean fallback, String source) {
        Object v = obj.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw typeError(key, "a boolean", v, source);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Map<String, Object> obj, String key, String source) {
        Object v = require(obj, key, source);
        if (v instanceof Map) {
            return (Map<String, Object>) v;
        }
        throw typeError(key, "an object", v, source);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> optObject(Map<String, Object> obj, String key, String source) {
        Object v = obj.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map) {
            return (Map<String, Object>) v;
        }
        throw typeError(key, "an object", v, source);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(Map<String, Object> obj, String key, String source) {
        Object v = require(obj, key, source);
        if (v instanceof List) {
            return (List<Object>) v;
        }
        throw typeError(key, "an array", v, source);
    }

    private static Object require(Map<String, Object> obj, String key, String source) {
        Object v = obj.get(key);
        if (v == null) {
            throw new ModelFormatException(source + ": missing \"" + key + "\"");
        }
        return v;
    }

    private static ModelFormatException typeError(String key, String expected, Object actual, String source) {
        String kind = actual instanceof Map ? "an object" : actual instanceof List ? "an array"
                : actual == null ? "null" : actual.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        return new ModelFormatException(source + ": \"" + key + "\" must be " + expected + ", found " + kind);
    }
}
