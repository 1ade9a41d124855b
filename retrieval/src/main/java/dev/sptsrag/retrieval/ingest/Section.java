package dev.sptsrag.retrieval.ingest;

/**
 * A heading and the text it governs: {@code [start, end)} in {@link ParsedDocument#text()}, from the
 * heading itself to the next heading of the same or a higher level, so subsections lie inside it.
 *
 * @param title  the heading's text, e.g. "4.9. Main building script: debian/rules"
 * @param level  1 for a top-level heading (HTML h1, Markdown #, PDF outline root) down to 6
 * @param anchor a fragment that links to the heading ("#" not included), or null if it has none
 */
public record Section(String title, int level, String anchor, int start, int end) {
    public Section {
        if (level < 1 || start < 0 || end < start) {
            throw new IllegalArgumentException("bad section " + title + ": level " + level + ", [" + start + ", " + end + ")");
        }
    }

    public boolean contains(int offset) {
        return offset >= start && offset < end;
    }
}
