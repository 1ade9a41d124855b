package dev.sptsrag.inference.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringMatcherTest {

    private static String feed(StopStringMatcher m, String... deltas) {
        StringBuilder out = new StringBuilder();
        for (String d : deltas) {
            out.append(m.accept(d));
            if (m.stopped()) {
                break;
            }
        }
        return out.toString();
    }

    @Test
    void stopStringSplitAcrossTokensIsNeverReleased() {
        StopStringMatcher m = new StopStringMatcher(List.of("\nUser:"));
        assertEquals("Hello", m.accept("Hello"));
        assertEquals("", m.accept("\nUs"), "a possible start of the stop string is held back");
        assertEquals("", m.accept("er:"));
        assertTrue(m.stopped());
        assertEquals("", m.flush());
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
        assertEquals("ab", m.accept("abST"));
        assertEquals("STart", m.accept("art"));
        assertFalse(m.stopped());
        assertEquals("x", m.accept("x") + m.flush());
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopStringMatcher m = new StopStringMatcher(List.of("BBB", "A"));
        assertEquals("xx", feed(m, "xxBBBA"));
        m = new StopStringMatcher(List.of("BBB", "A"));
        assertEquals("xx", feed(m, "xxAB"));
    }

    @Test
    void flushReleasesAPendingPrefixAtTheEnd() {
        StopStringMatcher m = new StopStringMatcher(List.of("</answer>"));
        assertEquals("42 ", m.accept("42 </ans"));
        assertEquals("</ans", m.flush());
    }

    @Test
    void withoutStopsEverythingPassesThrough() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertEquals("anything", m.accept("anything"));
        assertFalse(m.stopped());
    }
}
