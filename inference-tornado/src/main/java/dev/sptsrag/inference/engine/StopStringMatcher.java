package dev.sptsrag.inference.engine;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could still be the start of a stop string is held
 * back, so a caller never sees part of a stop string; once a stop string appears, only the text
 * before it is released.
 */
final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStringMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Adds text; returns what can be released now. After a match {@link #stopped()} is true. */
    String accept(String delta) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return delta;
        }
        pending.append(delta);
        int earliest = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String out = pending.substring(0, earliest);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, pending.length()); len > hold; len--) {
                if (endsWithPrefix(s, len)) {
                    hold = len;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Whether the last {@code len} characters of the pending text equal the first {@code len} of {@code stop}. */
    private boolean endsWithPrefix(String stop, int len) {
        int offset = pending.length() - len;
        for (int i = 0; i < len; i++) {
            if (pending.charAt(offset + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Releases held-back text at the end of generation. */
    String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
