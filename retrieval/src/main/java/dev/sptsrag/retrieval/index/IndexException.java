package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.RetrievalException;

/** The index could not be opened, written or committed; the message names the index folder. */
public class IndexException extends RetrievalException {
    public IndexException(String message) {
        super(message);
    }

    public IndexException(String message, Throwable cause) {
        super(message, cause);
    }
}
