package dev.sptsrag.retrieval;

/**
 * Base of the retrieval module's typed errors: each subclass names one way a document, an index or a
 * request can fail, so that the service can map it to a precise HTTP problem.
 */
public class RetrievalException extends RuntimeException {
    public RetrievalException(String message) {
        super(message);
    }

    public RetrievalException(String message, Throwable cause) {
        super(message, cause);
    }
}
