package dev.sptsrag.service.rag;

import dev.sptsrag.service.ai.SkipSpec;

/**
 * A question to answer from a collection's documents; null options take the service's defaults.
 *
 * @param topK          chunks to retrieve
 * @param contextTokens the most tokens of retrieved context; never more than what fits the context window
 * @param skip          the SPTS skip budget (a preset or an explicit budget), null or {@code off}: none
 * @param maxTokens     the most tokens of the answer
 */
public record RagQuestion(String question, String collection, Integer topK, Integer contextTokens, SkipSpec skip,
                          Integer maxTokens, Double temperature) {
}
