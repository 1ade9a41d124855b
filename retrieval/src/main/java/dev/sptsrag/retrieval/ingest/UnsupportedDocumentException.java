package dev.sptsrag.retrieval.ingest;

/**
 * The document is of a kind retrieval does not read: an unknown format (by name and content), a
 * binary file, or a PDF that needs a password.
 */
public class UnsupportedDocumentException extends DocumentException {
    public UnsupportedDocumentException(String source, String reason) {
        super(source, reason, null);
    }

    public UnsupportedDocumentException(String source, String reason, Throwable cause) {
        super(source, reason, cause);
    }
}
