package dev.sptsrag.retrieval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ApproximateTokenCounterTest {
    private final TokenCounter counter = new ApproximateTokenCounter();

    @Test
    void wordsCostOneTokenPerStartedFourCharacters() {
        assertEquals(0, counter.count(""));
        assertEquals(0, counter.count("  \n\t "));
        assertEquals(1, counter.count("the"));
        assertEquals(1, counter.count("lamp"));
        assertEquals(2, counter.count("lamps"));
        assertEquals(5, counter.count("internationalization"));
        assertEquals(3, counter.count("the red mark"));
    }

    @Test
    void punctuationCostsOneTokenEachAndSplitsWords() {
        assertEquals(5, counter.count("debian/rules")); // "debian" 2, "/" 1, "rules" 2
        assertEquals(2, counter.count("E42."));
        assertEquals(5, counter.count("(a, b)"));
        assertEquals(2, counter.count("naïve")); // letters are letters in any script
    }
}
