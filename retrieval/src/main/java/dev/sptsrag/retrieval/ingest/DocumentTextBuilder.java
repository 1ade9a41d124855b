package dev.sptsrag.retrieval.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link ParsedDocument}'s text paragraph by paragraph and records where headings and pages
 * start, so that every parser produces the same layout. Stops with {@link DocumentTooLargeException}
 * as soon as the text passes the limit, before the whole document is in memory.
 */
final class DocumentTextBuilder {
    static final String PARAGRAPH_SEPARATOR = "\n\n";

    private final String source;
    private final int maxChars;
    private final StringBuilder text = new StringBuilder();
    private final List<Heading> headings = new ArrayList<>();
    private final List<Page> pages = new ArrayList<>();
    private int pageNumber;
    private int pageStart = -1;

    private record Heading(String title, int level, String anchor, int start) {}

    DocumentTextBuilder(String source, int maxChars) {
        this.source = source;
        this.maxChars = maxChars;
    }

    /** Appends a paragraph with its white space collapsed; blank paragraphs are dropped. */
    void paragraph(String paragraph) {
        append(collapseWhitespace(paragraph));
    }

    /** Appends preformatted text (code, tables) keeping its line breaks but not its blank lines. */
    void preformatted(String block) {
        append(block.replace("\r\n", "\n").replaceAll("\n[ \t]*(?=\n)", "").stripTrailing()
                .replaceFirst("^\n+", ""));
    }

    /** Appends a heading as a paragraph and starts a section at it. */
    void heading(String title, int level, String anchor) {
        String clean = collapseWhitespace(title);
        if (clean.isEmpty()) {
            return;
        }
        append(clean);
        headings.add(new Heading(clean, Math.min(Math.max(level, 1), 6), anchor, text.length() - clean.length()));
    }

    /**
     * Starts a section in text already written (a PDF bookmark that points to a page) where its title
     * first occurs in {@code [from, to)}, or at {@code from} when the title is not there.
     */
    void sectionAt(String title, int level, int from, int to) {
        String clean = collapseWhitespace(title);
        if (clean.isEmpty()) {
            return;
        }
        int found = text.indexOf(clean, from);
        int start = found >= 0 && found + clean.length() <= to ? found : Math.min(from, text.length());
        headings.add(new Heading(clean, Math.min(Math.max(level, 1), 6), null, start));
    }

    void startPage() {
        pageNumber++;
        pageStart = -1;
    }

    void endPage() {
        if (pageStart >= 0) {
            pages.add(new Page(pageNumber, pageStart, text.length()));
        }
        pageStart = -1;
    }

    /** Offset where the next paragraph will start. */
    int length() {
        return text.isEmpty() ? 0 : text.length() + PARAGRAPH_SEPARATOR.length();
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    ParsedDocument build(DocumentFormat format, String title, Map<String, String> metadata) {
        if (text.isEmpty()) {
            throw new DocumentParseException(source, "no text found"
                    + (format == DocumentFormat.PDF ? " (a scanned PDF without a text layer?)" : ""));
        }
        List<Heading> ordered = new ArrayList<>(headings);
        ordered.sort((a, b) -> Integer.compare(a.start(), b.start())); // PDF bookmarks may be out of order
        List<Section> sections = new ArrayList<>(ordered.size());
        for (int i = 0; i < ordered.size(); i++) {
            Heading h = ordered.get(i);
            int end = text.length();
            for (int j = i + 1; j < ordered.size(); j++) {
                if (ordered.get(j).level() <= h.level()) {
                    end = ordered.get(j).start();
                    break;
                }
            }
            sections.add(new Section(h.title(), h.level(), h.anchor(), h.start(), Math.max(end, h.start())));
        }
        String documentTitle = title == null || title.isBlank() ? defaultTitle(source) : collapseWhitespace(title);
        return new ParsedDocument(source, format, documentTitle, text.toString(), sections, pages, metadata);
    }

    private void append(String paragraph) {
        if (paragraph.isEmpty()) {
            return;
        }
        if (!text.isEmpty()) {
            text.append(PARAGRAPH_SEPARATOR);
        }
        if (pageNumber > 0 && pageStart < 0) {
            pageStart = text.length();
        }
        text.append(paragraph);
        if (text.length() > maxChars) {
            throw new DocumentTooLargeException(source, -1, maxChars, "characters");
        }
    }

    static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                space = !out.isEmpty();
            } else {
                if (space) {
                    out.append(' ');
                    space = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    /** "docs/guide.md" gives "guide". */
    static String defaultTitle(String source) {
        String name = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
