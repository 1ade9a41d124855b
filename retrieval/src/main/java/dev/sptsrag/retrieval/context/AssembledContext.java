package dev.sptsrag.retrieval.context;

import java.util.List;

/**
 * A context ready for the prompt.
 *
 * @param text              the labelled blocks, "[1] ..." first line of each, separated by blank lines
 * @param citations         one per block, in the order of the text
 * @param tokensUsed        the text's tokens, counted on the final text: never more than the budget
 * @param tokenBudget       the budget it was built for
 * @param omittedChunks     retrieved chunks left out because they did not fit the budget
 * @param omittedTokens     their tokens: how much evidence the budget cost
 * @param duplicatesDropped retrieved chunks left out because their text was already in the context
 */
public record AssembledContext(String text, List<Citation> citations, int tokensUsed, int tokenBudget,
                               int omittedChunks, long omittedTokens, int duplicatesDropped) {

    public AssembledContext {
        citations = List.copyOf(citations);
    }

    public boolean isEmpty() {
        return citations.isEmpty();
    }
}
