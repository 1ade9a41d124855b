package dev.sptsrag.service.rag;

import java.util.Map;

/** A document in the index as the documents API lists it. */
public record DocumentSummary(String collection, String id, String title, String source,
                              Map<String, String> metadata, long chunks) {
}
