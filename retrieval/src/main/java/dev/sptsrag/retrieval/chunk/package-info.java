/**
 * Chunking: a parsed document to pieces of at most N tokens.
 *
 * <p>{@link dev.sptsrag.retrieval.chunk.Chunker} cuts within sections (never across a heading), packs whole
 * sentences, prefers paragraph ends, and repeats up to {@link dev.sptsrag.retrieval.chunk.ChunkingOptions#overlapTokens()}
 * tokens of whole sentences between neighbours. Tokens are those of the
 * {@link dev.sptsrag.retrieval.TokenCounter} it is given, and every chunk is counted as a whole, so none
 * exceeds the limit. A {@link dev.sptsrag.retrieval.chunk.Chunk} knows its document, its ordinal (its
 * position; neighbours differ by one), its character span in the parsed text, its section path and
 * anchor, and its first and last page.
 */
package dev.sptsrag.retrieval.chunk;
