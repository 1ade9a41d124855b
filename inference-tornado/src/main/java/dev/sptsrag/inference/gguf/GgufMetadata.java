package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order. Values are boxed by type: UINT8, INT8,
 * UINT16, INT16 and INT32 as {@link Integer} (unsigned types zero-extended); UINT32, UINT64 and
 * INT64 as {@link Long} (UINT64 above {@code Long.MAX_VALUE} is rejected on read); FLOAT32 as
 * {@link Float}; FLOAT64 as {@link Double}; BOOL as {@link Boolean}; STRING as {@link String};
 * ARRAY as {@link GgufArray}. Typed getters convert where it is lossless and fail with the key's
 * name otherwise.
 */
public final class GgufMetadata {
    private final Map<String, Object> values;
    private final Map<String, GgufValueType> types;

    public GgufMetadata(Map<String, Object> values, Map<String, GgufValueType> types) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.types = Collections.unmodifiableMap(new LinkedHashMap<>(types));
        if (!this.values.keySet().equals(this.types.keySet())) {
            throw new IllegalArgumentException("values and types must have the same keys");
        }
    }

    public Set<String> keys() { return values.keySet(); }

    public boolean contains(String key) { return values.containsKey(key); }

    public GgufValueType type(String key) { return types.get(key); }

    /** All values, in file order (read-only). */
    public Map<String, Object> asMap() { return values; }

    public Optional<Object> get(String key) { return Optional.ofNullable(values.get(key)); }

    public String getString(String key) {
        return cast(key, String.class, "a string");
    }

    public Optional<String> findString(String key) {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public long getLong(String key) {
        Object v = require(key);
        if (v instanceof Integer i) {
            return i;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw wrongType(key, "an integer");
    }

    public Optional<Long> findLong(String key) {
        return contains(key) ? Optional.of(getLong(key)) : Optional.empty();
    }

    /** An integer value that must fit an int (for dimensions and counts). */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ModelFormatException("GGUF metadata " + key + " = " + v + " does not fit an int");
        }
        return (int) v;
    }

    public Optional<Integer> findInt(String key) {
        return contains(key) ? Optional.of(getInt(key)) : Optional.empty();
    }

    public double getDouble(String key) {
        Object v = require(key);
        if (v instanceof Float f) {
            return f;
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).doubleValue();
        }
        throw wrongType(key, "a number");
    }

    public Optional<Double> findDouble(String key) {
        return contains(key) ? Optional.of(getDouble(key)) : Optional.empty();
    }

    public boolean getBoolean(String key) {
        return cast(key, Boolean.class, "a boolean");
    }

    public Optional<Boolean> findBoolean(String key) {
        return contains(key) ? Optional.of(getBoolean(key)) : Optional.empty();
    }

    public GgufArray getArray(String key) {
        return cast(key, GgufArray.class, "an array");
    }

    /** An array of strings. */
    public List<String> getStringList(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) {
            throw wrongType(key, "an array of strings");
        }
        @SuppressWarnings("unchecked")
        List<String> list = (List<String>) (List<?>) a.values();
        return list;
    }

    /** An array of integers of any width that fit an int. */
    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        if (!a.elementType().isInteger()) {
            throw wrongType(key, "an array of integers");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            long v = ((Number) a.values().get(i)).longValue();
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new ModelFormatException("GGUF metadata " + key + "[" + i + "] = " + v + " does not fit an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** An array of FLOAT32 or FLOAT64 values. */
    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.FLOAT32 && a.elementType() != GgufValueType.FLOAT64) {
            throw wrongType(key, "an array of floats");
        }
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) a.values().get(i)).floatValue();
        }
        return out;
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new ModelFormatException("GGUF metadata has no key " + key);
        }
        return v;
    }

    private <T> T cast(String key, Class<T> type, String what) {
        Object v = require(key);
        if (!type.isInstance(v)) {
            throw wrongType(key, what);
        }
        return type.cast(v);
    }

    private ModelFormatException wrongType(String key, String expected) {
        return new ModelFormatException("GGUF metadata " + key + " must be " + expected + ", found " + types.get(key));
    }
}
