package dev.sptsrag.service.web;

import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.service.rag.RagQuestion;
import dev.sptsrag.service.ai.SkipSpec;

/** Request bodies of the RAG API ({@code /api}) and their validation, field by field. */
final class RagApi {
    static final int MAX_NAME_CHARS = 256;
    static final int MAX_QUESTION_CHARS = 8_192;

    private RagApi() {
    }

    /** {@code POST /api/ask}. */
    record AskRequest(String question, String collection, Integer topK, Integer contextTokens, SkipSpec skip,
                      Integer maxTokens, Double temperature) {

        RagQuestion validated() {
            if (question == null || question.isBlank()) {
                throw new InvalidApiRequestException("question", "is required");
            }
            if (question.length() > MAX_QUESTION_CHARS) {
                throw new InvalidApiRequestException("question", "at most " + MAX_QUESTION_CHARS + " characters");
            }
            if (topK != null && (topK < 1 || topK > SearchRequest.MAX_TOP_K)) {
                throw new InvalidApiRequestException("topK", "must be in [1, " + SearchRequest.MAX_TOP_K + "], was " + topK);
            }
            if (contextTokens != null && contextTokens < 1) {
                throw new InvalidApiRequestException("contextTokens", "must be positive, was " + contextTokens);
            }
            if (maxTokens != null && maxTokens < 1) {
                throw new InvalidApiRequestException("maxTokens", "must be positive, was " + maxTokens);
            }
            if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
                throw new InvalidApiRequestException("temperature", "must be in [0, 2], was " + temperature);
            }
            return new RagQuestion(question, collectionOrDefault(collection), topK, contextTokens, skip, maxTokens,
                    temperature);
        }
    }

    /** {@code POST /api/documents} as JSON: one plain-text document. */
    record TextDocument(String id, String title, String text, String collection) {
    }

    /** The collection a request names, or the default one; refused if it is not a usable name. */
    static String collectionOrDefault(String collection) {
        return collection == null ? IndexedDocument.DEFAULT_COLLECTION : name("collection", collection);
    }

    /** Collections and document ids: non-blank, short, no control characters (the index keys on them). */
    static String name(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidApiRequestException(field, "must not be blank");
        }
        if (value.length() > MAX_NAME_CHARS) {
            throw new InvalidApiRequestException(field, "at most " + MAX_NAME_CHARS + " characters");
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidApiRequestException(field, "must not contain control characters");
        }
        return value;
    }
}
