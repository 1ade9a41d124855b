package dev.sptsrag.retrieval.index;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the index keeps about a document besides its chunks; every chunk carries a copy, so a hit is
 * citable without a second lookup.
 *
 * @param collection the namespace the document lives in (a tenant, a corpus); ids are unique within it
 * @param documentId the caller's id for the document; replace and delete go by it
 * @param title      shown in citations and searched with a boost
 * @param source     where the document came from (file name, URL)
 * @param metadata   keyword fields that searches can filter on exactly, e.g. {@code lang=en}
 */
public record IndexedDocument(String collection, String documentId, String title, String source,
                              Map<String, String> metadata) {

    /** Collection of documents added without one. */
    public static final String DEFAULT_COLLECTION = "default";

    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public IndexedDocument {
        requireName("collection", collection);
        requireName("documentId", documentId);
        title = title == null ? "" : title;
        source = source == null ? "" : source;
        metadata = Map.copyOf(metadata);
        for (String key : metadata.keySet()) {
            if (!METADATA_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("metadata key \"" + key + "\" must match " + METADATA_KEY);
            }
        }
    }

    private static void requireName(String what, String value) {
        if (value == null || value.isBlank() || value.indexOf(ChunkFields.KEY_SEPARATOR) >= 0) {
            throw new IllegalArgumentException(what + " must be non-blank text, got " + (value == null ? "null" : "\"" + value + "\""));
        }
    }
}
