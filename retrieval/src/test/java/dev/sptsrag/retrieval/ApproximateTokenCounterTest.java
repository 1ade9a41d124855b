package dev.sptsrag.retrieval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ApproximateTokenCounterTest {
    private final TokenCounter counter = new ApproximateTokenCounter();

    @Test
    void wordsCostOneTokenPerStartedSevenCharacters() {
        assertEquals(0, counter.count(""));
        assertEquals(0, counter.count("  \n\t "));
        assertEquals(1, counter.count("the"));
        assertEquals(1, counter.count("package"));
        assertEquals(2, counter.count("packages"));
        assertEquals(3, counter.count("internationalization"));
        assertEquals(3, counter.count("the red mark"));
    }

    @Test
    void punctuationCostsOneTokenEachAndSplitsWords() {
        assertEquals(3, counter.count("debian/rules")); // "debian" 1, "/" 1, "rules" 1
        assertEquals(2, counter.count("E42."));
        assertEquals(5, counter.count("(a, b)"));
        assertEquals(2, counter.count("naïvetés")); // letters are letters in any script
        assertEquals(1, counter.count("naïve"));
    }
}
