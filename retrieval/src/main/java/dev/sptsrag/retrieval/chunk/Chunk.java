package dev.sptsrag.retrieval.chunk;

import java.util.List;

/**
 * A piece of a document small enough to index, retrieve and cite on its own.
 *
 * @param documentId  the id of the document it was cut from
 * @param ordinal     its position among the document's chunks, from 0; neighbours differ by 1
 * @param text        the text, exactly {@code document.text().substring(startOffset, endOffset)}
 * @param startOffset first character in the parsed document's text
 * @param endOffset   one past the last character; consecutive chunks may overlap
 * @param sectionPath the headings it lies under, outermost first (empty for a document without any)
 * @param anchor      the innermost heading's link fragment, or null
 * @param firstPage   the page its text starts on, from 1; 0 when the document has no pages
 * @param lastPage    the page its text ends on; 0 when the document has no pages
 * @param tokens      its length in the {@link dev.sptsrag.retrieval.TokenCounter}'s tokens
 */
public record Chunk(String documentId, int ordinal, String text, int startOffset, int endOffset,
                    List<String> sectionPath, String anchor, int firstPage, int lastPage, int tokens) {

    public Chunk {
        if (ordinal < 0 || startOffset < 0 || endOffset < startOffset || tokens < 0) {
            throw new IllegalArgumentException("bad chunk " + documentId + "#" + ordinal + ": [" + startOffset
                    + ", " + endOffset + "), " + tokens + " tokens");
        }
        sectionPath = List.copyOf(sectionPath);
    }

    /** The innermost heading, or null. */
    public String section() {
        return sectionPath.isEmpty() ? null : sectionPath.getLast();
    }
}
