package dev.sptsrag.inference.eval;

import java.util.List;
import java.util.Locale;

/** RULER's string-match scoring (docs/tasks.md). */
public final class StringMatch {
    private StringMatch() {
    }

    /**
     * {@code string_match_all}: the fraction of references contained in the output, ignoring case; 0..1.
     */
    public static double all(String output, List<String> references) {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("scoring needs at least one reference");
        }
        String out = output.toLowerCase(Locale.ROOT);
        int found = 0;
        for (String r : references) {
            if (out.contains(r.toLowerCase(Locale.ROOT))) {
                found++;
            }
        }
        return (double) found / references.size();
    }
}
