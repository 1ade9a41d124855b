package dev.sptsrag.retrieval.context;

import java.util.List;

/**
 * Where one block of an assembled context came from, under the label the context gives it.
 *
 * @param label        the block's number in the context ("[3]"), from 1
 * @param sectionPath  the headings of the block's first chunk, outermost first
 * @param anchor       the innermost heading's link fragment, or null
 * @param firstPage    first page of the block (0 without pages)
 * @param lastPage     last page of the block (0 without pages)
 * @param startOffset  the block's span in the parsed document's text
 * @param firstOrdinal the block's first chunk
 * @param lastOrdinal  the block's last chunk (blocks of merged neighbours span several)
 * @param score        the best relevance among the block's chunks
 * @param tokens       the block's tokens, label included
 */
public record Citation(int label, String collection, String documentId, String title, String source,
                       List<String> sectionPath, String anchor, int firstPage, int lastPage,
                       int startOffset, int endOffset, int firstOrdinal, int lastOrdinal, float score, int tokens) {

    public Citation {
        sectionPath = List.copyOf(sectionPath);
    }

    /** The innermost heading, or null. */
    public String section() {
        return sectionPath.isEmpty() ? null : sectionPath.getLast();
    }
}
