package dev.sptsrag.retrieval.context;

/**
 * How {@link ContextBuilder} assembles a context.
 *
 * @param tokenBudget      the most tokens the context may use, labels and separators included
 *                         (e.g. 8K, 32K or 128K; the prompt and the answer need their own room)
 * @param order            the order of the blocks
 * @param mergeNeighbours  whether chunks next to each other in a document become one block (their
 *                         overlap written once); else each chunk is its own block and overlapping
 *                         text repeats
 */
public record ContextOptions(int tokenBudget, ContextOrder order, boolean mergeNeighbours) {

    public ContextOptions {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("tokenBudget must be positive, got " + tokenBudget);
        }
        if (order == null) {
            throw new IllegalArgumentException("order is required");
        }
    }

    /** Document order with neighbours merged. */
    public static ContextOptions ofBudget(int tokenBudget) {
        return new ContextOptions(tokenBudget, ContextOrder.DOCUMENT, true);
    }

    public ContextOptions withOrder(ContextOrder order) {
        return new ContextOptions(tokenBudget, order, mergeNeighbours);
    }

    public ContextOptions withMergeNeighbours(boolean merge) {
        return new ContextOptions(tokenBudget, order, merge);
    }
}
