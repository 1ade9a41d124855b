package dev.sptsrag.service.rag;

/** No document with this id in this collection (HTTP 404). */
public class DocumentNotFoundException extends RuntimeException {
    private final String collection;
    private final String documentId;

    public DocumentNotFoundException(String collection, String documentId) {
        super("no document \"" + documentId + "\" in collection \"" + collection + "\"");
        this.collection = collection;
        this.documentId = documentId;
    }

    public String collection() {
        return collection;
    }

    public String documentId() {
        return documentId;
    }
}
