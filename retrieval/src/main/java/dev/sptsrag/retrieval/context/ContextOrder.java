package dev.sptsrag.retrieval.context;

/** How the blocks of an assembled context follow each other. */
public enum ContextOrder {
    /**
     * Grouped by document (documents in the order of their best block), and within a document in
     * reading order: the model reads each source as a coherent text.
     */
    DOCUMENT,
    /** Best block first, whatever its document. */
    RELEVANCE
}
