package dev.sptsrag.retrieval.ingest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A document as text plus the structure the chunker and citations need.
 *
 * <p>{@code text} holds paragraphs separated by a blank line ("\n\n"); white space inside a paragraph
 * is collapsed to single spaces except in preformatted blocks. {@code sections} and {@code pages} are
 * spans of {@code text} in document order (either may be empty: plain text has neither, HTML and
 * Markdown have no pages).
 *
 * @param source   the name the caller gave the document (file name, path or URI)
 * @param format   the format it was parsed as
 * @param title    the document's own title, or its file name without extension when it has none
 * @param metadata what the document says about itself (author, description, language, ...)
 */
public record ParsedDocument(String source, DocumentFormat format, String title, String text,
                             List<Section> sections, List<Page> pages, Map<String, String> metadata) {

    public ParsedDocument {
        sections = List.copyOf(sections);
        pages = List.copyOf(pages);
        metadata = Map.copyOf(metadata);
    }

    /** The sections around {@code offset}, outermost first (e.g. chapter, then section, then subsection). */
    public List<Section> sectionPath(int offset) {
        List<Section> path = new ArrayList<>();
        for (Section s : sections) {
            if (s.start() > offset) {
                break; // sections are in order of their start
            }
            if (s.contains(offset)) {
                path.add(s);
            }
        }
        path.sort(Comparator.comparingInt(Section::level));
        return path;
    }

    /** The page that holds {@code offset}, or the last page before it (offsets between pages). */
    public Optional<Page> pageAt(int offset) {
        Page found = null;
        for (Page p : pages) {
            if (p.start() > offset) {
                break;
            }
            found = p;
        }
        return Optional.ofNullable(found);
    }
}
