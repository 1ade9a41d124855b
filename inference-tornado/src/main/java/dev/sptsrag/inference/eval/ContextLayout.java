package dev.sptsrag.inference.eval;

import java.util.List;

/** How a context is assembled from its paragraphs (filler and inserted items, in order). */
interface ContextLayout {

    /** Paragraphs joined by a blank line (every family but {@code rag_records}). */
    ContextLayout PLAIN = new ContextLayout() {
        @Override
        public String render(List<String> paragraphs) {
            return String.join("\n\n", paragraphs);
        }

        @Override
        public int extraTokens(int paragraphs) {
            return 0;
        }
    };

    String render(List<String> paragraphs);

    /** Tokens the layout adds to {@code paragraphs} paragraphs and their separators (headers), for planning. */
    int extraTokens(int paragraphs);
}
