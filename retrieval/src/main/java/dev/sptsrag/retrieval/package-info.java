/**
 * Retrieval for spts-rag: documents in, long contexts out, with Lucene and without the engine.
 *
 * <p>The pipeline, one package per step:
 * <ol>
 *   <li>{@link dev.sptsrag.retrieval.ingest} — bytes of a plain-text, Markdown, HTML or PDF file to a
 *       {@link dev.sptsrag.retrieval.ingest.ParsedDocument} (text, sections, pages, title, metadata);</li>
 *   <li>{@link dev.sptsrag.retrieval.chunk} — a parsed document to {@link dev.sptsrag.retrieval.chunk.Chunk}s of at
 *       most N tokens, cut at paragraph and sentence ends, with overlap;</li>
 *   <li>{@link dev.sptsrag.retrieval.index} — chunks into a {@link dev.sptsrag.retrieval.index.ChunkIndex}
 *       (Lucene: {@link dev.sptsrag.retrieval.index.LuceneChunkIndex}), atomically per document, durable at
 *       each commit; {@link dev.sptsrag.retrieval.index.DocumentIndexer} runs steps 1–3;</li>
 *   <li>{@link dev.sptsrag.retrieval.search} — a question to the best chunks
 *       ({@link dev.sptsrag.retrieval.search.Retriever}, BM25 in {@link dev.sptsrag.retrieval.search.LuceneRetriever});</li>
 *   <li>{@link dev.sptsrag.retrieval.context} — ranked chunks to one labelled context within a token budget,
 *       with citations ({@link dev.sptsrag.retrieval.context.ContextBuilder}).</li>
 * </ol>
 *
 * <p>This package holds what all steps share: {@link dev.sptsrag.retrieval.TokenCounter} (the model's
 * tokens, supplied by the service; {@link dev.sptsrag.retrieval.ApproximateTokenCounter} stands in for tests
 * and tools) and {@link dev.sptsrag.retrieval.RetrievalException}, the base of every typed error.
 *
 * <p>A minimal use:
 * <pre>{@code
 * TokenCounter tokens = ...;                       // the model's tokenizer
 * try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(Path.of("data/index")))) {
 *     DocumentIndexer indexer = new DocumentIndexer(new DocumentLoader(),
 *             new Chunker(tokens, ChunkingOptions.defaults()), index);
 *     indexer.ingest("docs", "policy-ch4", Path.of("ch-source.html"), Map.of());   // durable on return
 *     Retriever retriever = new LuceneRetriever(index);
 *     List<ChunkHit> hits = retriever.search(new SearchRequest("what must debian/rules start with?", 200)).hits();
 *     AssembledContext context = new ContextBuilder(tokens, ContextOptions.ofBudget(32_768)).build(hits);
 *     // context.text() goes into the prompt; context.citations() back to the user
 * }
 * }</pre>
 */
package dev.sptsrag.retrieval;
