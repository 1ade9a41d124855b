package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.RetrievalException;

/** A document could not be turned into a {@link ParsedDocument}; the message names the document. */
public abstract class DocumentException extends RetrievalException {
    private final String source;
    private final String reason;

    protected DocumentException(String source, String reason, Throwable cause) {
        super(source + ": " + reason, cause);
        this.source = source;
        this.reason = reason;
    }

    /** The document's source as the caller named it (file name, path or URI). */
    public String source() { return source; }

    /** Why it failed, without the source. */
    public String reason() { return reason; }
}
