package dev.sptsrag.service.rag;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * {@code spts.rag.*}.
 *
 * @param indexPath     the Lucene index folder (created if missing; one service per folder)
 * @param topK          chunks retrieved for a question that does not say
 * @param answerTokens  tokens kept free for the answer when neither the request nor the chat model's
 *                      defaults set {@code maxTokens}
 * @param chunkTokens   the most tokens of one chunk
 * @param chunkOverlap  tokens of a chunk's end repeated at the start of the next
 * @param maxTitleChars the longest document title kept (a longer one, given or found in a file, is cut)
 */
@ConfigurationProperties("spts.rag")
public record RagProperties(@DefaultValue("data/index") Path indexPath,
                            @DefaultValue("50") int topK,
                            @DefaultValue("512") int answerTokens,
                            @DefaultValue("384") int chunkTokens,
                            @DefaultValue("48") int chunkOverlap,
                            @DefaultValue("512") int maxTitleChars) {
}
