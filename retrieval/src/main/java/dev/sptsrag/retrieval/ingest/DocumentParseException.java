package dev.sptsrag.retrieval.ingest;

/** The document claims a supported format but is corrupt, truncated, or holds no text to index. */
public class DocumentParseException extends DocumentException {
    public DocumentParseException(String source, String reason) {
        super(source, reason, null);
    }

    public DocumentParseException(String source, String reason, Throwable cause) {
        super(source, reason, cause);
    }
}
