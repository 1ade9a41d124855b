package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.index.ChunkIndex;
import dev.sptsrag.retrieval.index.DocumentIndexer;
import dev.sptsrag.retrieval.index.IndexOptions;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.service.ai.SptsChatAutoConfiguration;
import dev.sptsrag.service.ai.PromptTokens;
import dev.sptsrag.service.ops.EngineScheduler;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * RAG over the engine: a Lucene index at {@code spts.rag.index-path}, the engine's tokenizer as
 * retrieval's {@link TokenCounter}, the ingest pipeline, the {@link DocumentLibrary} and the
 * {@link RagService}. Each bean yields to one the application defines (e.g. another {@link Retriever}).
 * Only the two Lucene beans name Lucene; everything else takes retrieval's {@link ChunkIndex} and
 * {@link Retriever}, and the RAG service Spring AI's {@link ChatModel} and the model's {@link PromptTokens}.
 */
@AutoConfiguration(after = SptsChatAutoConfiguration.class)
@ConditionalOnClass(LuceneChunkIndex.class)
@ConditionalOnBean({ChatModel.class, PromptTokens.class, EngineScheduler.class})
@EnableConfigurationProperties(RagProperties.class)
public class RagAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public TokenCounter sptsTokenCounter(EngineScheduler scheduler) {
        return new EngineTokenCounter(scheduler);
    }

    /** The local store; another {@link ChunkIndex} (with its {@link Retriever}) replaces both Lucene beans. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(ChunkIndex.class)
    public LuceneChunkIndex sptsChunkIndex(RagProperties p) {
        return LuceneChunkIndex.open(IndexOptions.at(p.indexPath()));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(LuceneChunkIndex.class)
    public Retriever sptsRetriever(LuceneChunkIndex index) {
        return new LuceneRetriever(index);
    }

    @Bean
    @ConditionalOnMissingBean
    public DocumentIndexer sptsDocumentIndexer(TokenCounter tokens, ChunkIndex index, RagProperties p) {
        return new DocumentIndexer(new DocumentLoader(), new Chunker(tokens,
                new ChunkingOptions(p.chunkTokens(), p.chunkOverlap())), index);
    }

    @Bean
    @ConditionalOnMissingBean
    public DocumentLibrary sptsDocumentLibrary(DocumentIndexer indexer, Retriever retriever, RagProperties p) {
        return new DocumentLibrary(indexer, retriever, p.maxTitleChars());
    }

    @Bean
    @ConditionalOnMissingBean
    public RagService sptsRagService(Retriever retriever, TokenCounter tokens, ChatModel chatModel,
                                     PromptTokens promptTokens, RagProperties p) {
        return new RagService(retriever, tokens, chatModel, promptTokens, p);
    }
}
