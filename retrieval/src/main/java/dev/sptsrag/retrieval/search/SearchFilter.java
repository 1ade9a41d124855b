package dev.sptsrag.retrieval.search;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Restricts a search to some collections, documents and metadata values. Empty means "any"; values
 * within one set are alternatives, the sets and metadata entries must all hold.
 *
 * @param collections any of these collections
 * @param documentIds any of these document ids (within the collections above)
 * @param metadata    every entry must equal the document's metadata value for that key
 */
public record SearchFilter(Set<String> collections, Set<String> documentIds, Map<String, String> metadata) {

    public static final SearchFilter NONE = new SearchFilter(Set.of(), Set.of(), Map.of());

    public SearchFilter {
        collections = Set.copyOf(collections);
        documentIds = Set.copyOf(documentIds);
        metadata = Map.copyOf(metadata);
    }

    public static SearchFilter collection(String collection) {
        return NONE.withCollections(Set.of(collection));
    }

    public SearchFilter withCollections(Set<String> collections) {
        return new SearchFilter(collections, documentIds, metadata);
    }

    public SearchFilter withDocumentIds(Set<String> documentIds) {
        return new SearchFilter(collections, documentIds, metadata);
    }

    public SearchFilter withMetadata(String key, String value) {
        Map<String, String> more = new HashMap<>(metadata);
        more.put(key, value);
        return new SearchFilter(collections, documentIds, more);
    }

    public boolean isEmpty() {
        return collections.isEmpty() && documentIds.isEmpty() && metadata.isEmpty();
    }
}
