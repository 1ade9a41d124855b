package dev.sptsrag.inference.eval;

import java.util.List;
import java.util.stream.Collectors;

/** A JSONL task set with bad lines: every bad line with its number (1-based) and reason. */
public final class TaskSetFormatException extends IllegalArgumentException {
    static final int LISTED = 20;

    /** One bad line. */
    public record BadLine(int line, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    private final String source;
    private final List<BadLine> badLines;

    TaskSetFormatException(String source, List<BadLine> badLines) {
        super(message(source, badLines));
        this.source = source;
        this.badLines = List.copyOf(badLines);
    }

    private static String message(String source, List<BadLine> bad) {
        String listed = bad.stream().limit(LISTED).map(BadLine::toString).collect(Collectors.joining("\n  "));
        return source + ": " + bad.size() + " bad line" + (bad.size() == 1 ? "" : "s") + "\n  " + listed
                + (bad.size() > LISTED ? "\n  … and " + (bad.size() - LISTED) + " more" : "");
    }

    public String source() { return source; }

    /** Every bad line, in file order. */
    public List<BadLine> badLines() { return badLines; }
}
