/**
 * Context assembly: ranked chunks to the long context a model reads.
 *
 * <p>{@link dev.sptsrag.retrieval.context.ContextBuilder} takes chunks best first within
 * {@link dev.sptsrag.retrieval.context.ContextOptions#tokenBudget()} (8K, 32K, 128K...), merges neighbours of a
 * document into one block, drops duplicates, orders the blocks by
 * {@link dev.sptsrag.retrieval.context.ContextOrder} and labels each ({@code [n] Title — Section (source#anchor,
 * p. 3)}). The {@link dev.sptsrag.retrieval.context.AssembledContext} holds the text, one
 * {@link dev.sptsrag.retrieval.context.Citation} per block, the tokens used (counted on the final text,
 * never above the budget) and what was left out (chunks and tokens over the budget, duplicates).
 */
package dev.sptsrag.retrieval.context;
