package dev.sptsrag.retrieval;

/**
 * Counts the tokens a text costs in the model that will read it. Chunk sizes and context budgets are
 * in these tokens. The service backs it with the model's own tokenizer; retrieval never depends on the
 * engine, only on this interface.
 *
 * <p>Implementations must be deterministic and safe to call from several threads.
 */
@FunctionalInterface
public interface TokenCounter {

    /** The number of tokens of {@code text}, without any special (BOS/EOS) tokens; 0 for "". */
    int count(String text);
}
