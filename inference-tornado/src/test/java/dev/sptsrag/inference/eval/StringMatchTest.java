package dev.sptsrag.inference.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RULER's string_match_all. */
class StringMatchTest {

    @Test
    void theFractionOfReferencesFoundIgnoringCase() {
        assertEquals(1.0, StringMatch.all("The number is 1234567.", List.of("1234567")));
        assertEquals(0.0, StringMatch.all("The number is 1234568.", List.of("1234567")));
        assertEquals(1.0, StringMatch.all("She lives in LYON [2]", List.of("Lyon", "[2]")));
        assertEquals(0.5, StringMatch.all("She lives in Lyon [3]", List.of("Lyon", "[2]")));
        assertEquals(0.25, StringMatch.all("ABCDE", List.of("abcde", "FGHIJ", "KLMNO", "PQRST")));
        assertEquals(0.0, StringMatch.all("", List.of("x")));
        assertThrows(IllegalArgumentException.class, () -> StringMatch.all("x", List.of()));
    }

    @Test
    void referenceAnswersJoinAsTheModelWasTrained() {
        assertEquals("1, 2", new TaskSample("niah_multivalue", 10, "c", "q", List.of("1", "2"), null).referenceAnswer());
        assertEquals("AB CD", new TaskSample("vt", 10, "c", "q", List.of("AB", "CD"), null).referenceAnswer());
        assertEquals("48213 [2]", new TaskSample("rag_records", 10, "c", "q", List.of("48213", "[2]"), "s").referenceAnswer());
    }
}
