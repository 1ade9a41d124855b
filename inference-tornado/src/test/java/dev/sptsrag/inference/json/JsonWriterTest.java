package dev.sptsrag.inference.json;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonWriterTest {

    @Test
    void whatItWritesOurReaderReadsBack() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("text", "quote \" backslash \\ newline \n tab \t control \u0001 snow \u2603");
        o.put("int", 42);
        o.put("double", 0.125);
        o.put("whole", 3.0);
        o.put("flag", true);
        o.put("none", null);
        o.put("list", List.of(1, "two", List.of()));
        o.put("ints", new int[] {1, 2});
        for (String json : List.of(JsonWriter.write(o), JsonWriter.pretty(o))) {
            Map<String, Object> back = Json.parseObject(json, "test");
            assertEquals(o.get("text"), back.get("text"));
            assertEquals(42L, ((Number) back.get("int")).longValue());
            assertEquals(0.125, ((Number) back.get("double")).doubleValue());
            assertEquals(3L, ((Number) back.get("whole")).longValue());
            assertEquals(true, back.get("flag"));
            assertEquals(null, back.get("none"));
            assertEquals(Arrays.asList(1L, 2L), ((List<?>) back.get("ints")).stream().map(x -> ((Number) x).longValue()).toList());
        }
        assertEquals("{\"a\":[1,2]}", JsonWriter.write(Map.of("a", List.of(1, 2))));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.write(Double.NaN));
    }
}
