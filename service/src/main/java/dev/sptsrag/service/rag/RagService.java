package dev.sptsrag.service.rag;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.context.AssembledContext;
import dev.sptsrag.retrieval.context.ContextBuilder;
import dev.sptsrag.retrieval.context.ContextOptions;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.search.SearchResults;
import dev.sptsrag.service.ai.AppliedSkip;
import dev.sptsrag.service.ai.InvalidChatRequestException;
import dev.sptsrag.service.ai.PromptTokens;
import dev.sptsrag.service.ai.SptsChatMetadata;
import dev.sptsrag.service.ai.SptsChatOptions;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Answers a question from the indexed documents: retrieve → build the context to a token budget →
 * prompt → the chat model with the request's options ({@link SptsChatOptions}) → answer with citations,
 * usage, timings and skip statistics. It depends on interfaces only: Spring AI's {@link ChatModel}, the
 * model's {@link PromptTokens}, retrieval's {@link Retriever} and {@link TokenCounter}.
 *
 * <p>The context budget is what the context window leaves: {@code contextLength − promptTokens(prompt
 * with no sources) − maxTokens − SEAM_MARGIN}, capped by the request's {@code contextTokens}. The prompt
 * without sources is counted exactly, through the chat model's own template and tokenizer; the margin
 * covers tokens that merge differently where the context text meets the prompt around it and the few
 * that escaping adds. A question and answer that leave no room are refused (400) rather than answered
 * without evidence.
 *
 * <p>Retrieved text and the question are untrusted: {@link PromptTokens#escapeControlTokens} keeps them
 * from injecting control tokens into the prompt. Tokenizing is the cost that grows with the context, so
 * each text is tokenized once for its purpose: the prompt without sources to budget the context, the
 * chunks by retrieval to fill it, the final prompt by the chat model; escaping tokenizes nothing.
 */
public final class RagService {
    static final String SYSTEM = "Answer the question using only the numbered sources. Cite the sources you use "
            + "by their numbers, like [1]. If the sources do not contain the answer, say so.";
    static final String NO_SOURCES = "(no sources matched the question)";
    static final int SEAM_MARGIN = 16;

    private final Retriever retriever;
    private final TokenCounter tokens;
    private final ChatModel chatModel;
    private final PromptTokens promptTokens;
    private final RagProperties properties;

    public RagService(Retriever retriever, TokenCounter tokens, ChatModel chatModel, PromptTokens promptTokens,
                      RagProperties properties) {
        this.retriever = Objects.requireNonNull(retriever, "retriever");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.chatModel = Objects.requireNonNull(chatModel, "chatModel");
        this.promptTokens = Objects.requireNonNull(promptTokens, "promptTokens");
        this.properties = Objects.requireNonNull(properties, "properties");
    }

    /**
     * The answer as it is generated: text pieces, then one chunk with the whole {@link RagAnswer}. Retrieval
     * and validation happen now, so that their errors are thrown before anything is streamed; the engine is
     * asked on subscription, and cancelling the subscription stops the generation (frees its engine slot).
     */
    public Flux<RagChunk> stream(RagQuestion q) {
        Prepared p = prepare(q);
        return Flux.defer(() -> {
            StringBuilder text = new StringBuilder();
            return chatModel.stream(p.prompt()).concatMap(r -> {
                var result = r.getResult();
                String piece = result == null ? null : result.getOutput().getText();
                List<RagChunk> out = new java.util.ArrayList<>(2);
                if (piece != null && !piece.isEmpty()) {
                    text.append(piece);
                    out.add(new RagChunk(piece, null));
                }
                if (result != null && result.getMetadata().getFinishReason() != null) {
                    out.add(new RagChunk(null, p.answer(text.toString(), r, System.nanoTime())));
                }
                return Flux.fromIterable(out);
            });
        });
    }

    /** One piece of a streamed answer: {@code text}, or ({@code done}) the complete answer at the end. */
    public record RagChunk(String text, RagAnswer done) {
    }

    /** What the model is asked, and the retrieval figures the answer reports. */
    private record Prepared(Prompt prompt, AssembledContext context, SearchResults results, long started, long retrieved) {
        RagAnswer answer(String text, ChatResponse response, long finished) {
            ChatResponseMetadata md = response.getMetadata();
            return new RagAnswer(text, response.getResult().getMetadata().getFinishReason(), context.citations(),
                    new RagAnswer.Context(results.hits().size(), results.totalHits(), context.tokensUsed(),
                            context.tokenBudget(), context.omittedChunks(), context.duplicatesDropped()),
                    usage(md.getUsage()), timings(md, retrieved - started, finished - started), skip(md));
        }
    }

    private Prepared prepare(RagQuestion q) {
        long started = System.nanoTime();
        int contextLength = promptTokens.contextLength();
        String question = promptTokens.escapeControlTokens(q.question().strip());
        int maxTokens = maxTokens(q, contextLength);

        int overhead = promptTokens.count(messages("", question));
        int room = contextLength - overhead - maxTokens - SEAM_MARGIN;
        if (room < 1) {
            ContextLengthExceededException tooLong = new ContextLengthExceededException(overhead + SEAM_MARGIN, maxTokens,
                    contextLength);
            throw new InvalidChatRequestException("question: the question (" + overhead + " prompt tokens) and maxTokens ("
                    + maxTokens + ") leave no room for sources in the " + contextLength + "-token context", tooLong);
        }
        int budget = q.contextTokens() != null ? Math.min(q.contextTokens(), room) : room;

        String collection = q.collection() != null ? q.collection() : IndexedDocument.DEFAULT_COLLECTION;
        int topK = q.topK() != null ? q.topK() : properties.topK();
        SearchResults results = retriever.search(new SearchRequest(q.question(), topK, SearchFilter.collection(collection)));
        AssembledContext context = new ContextBuilder(tokens, ContextOptions.ofBudget(budget)).build(results.hits());
        long retrieved = System.nanoTime();

        String sources = context.isEmpty() ? NO_SOURCES : promptTokens.escapeControlTokens(context.text());
        SptsChatOptions options = SptsChatOptions.builder().maxTokens(maxTokens).temperature(q.temperature())
                .skip(q.skip()).build();
        return new Prepared(new Prompt(messages(sources, question), options), context, results, started, retrieved);
    }

    /** The request's, else the defaults' capped at a quarter of the window so that sources keep room. */
    private int maxTokens(RagQuestion q, int contextLength) {
        if (q.maxTokens() != null) {
            return q.maxTokens();
        }
        ChatOptions defaults = chatModel.getOptions();
        Integer configured = defaults != null ? defaults.getMaxTokens() : null;
        return Math.max(1, Math.min(configured != null ? configured : properties.answerTokens(), contextLength / 4));
    }

    private static List<Message> messages(String sources, String question) {
        return List.of(new SystemMessage(SYSTEM),
                new UserMessage("Sources:\n\n" + sources + "\n\nQuestion: " + question));
    }

    private static RagAnswer.Usage usage(Usage u) {
        int prompt = u.getPromptTokens() != null ? u.getPromptTokens() : 0;
        int completion = u.getCompletionTokens() != null ? u.getCompletionTokens() : 0;
        return new RagAnswer.Usage(prompt, completion, prompt + completion);
    }

    private static RagAnswer.Timings timings(ChatResponseMetadata md, long retrievalNanos, long totalNanos) {
        return new RagAnswer.Timings(retrievalNanos / 1e6, millis(md, SptsChatMetadata.QUEUE_DURATION),
                millis(md, SptsChatMetadata.TTFT), millis(md, SptsChatMetadata.PREFILL_DURATION),
                millis(md, SptsChatMetadata.DECODE_DURATION), totalNanos / 1e6,
                number(md, SptsChatMetadata.PREFILL_TOKENS_PER_SECOND).doubleValue(),
                number(md, SptsChatMetadata.DECODE_TOKENS_PER_SECOND).doubleValue());
    }

    private static RagAnswer.Skip skip(ChatResponseMetadata md) {
        SkipStatistics s = md.get(SptsChatMetadata.SKIP_STATISTICS);
        AppliedSkip applied = md.get(SptsChatMetadata.SKIP_BUDGET);
        return new RagAnswer.Skip(applied != null ? applied.budget() : null, applied != null ? applied.effective() : null,
                applied != null ? applied.reason() : null, number(md, SptsChatMetadata.SKIPPED_TOKEN_RATIO).doubleValue(),
                s != null ? s.attentionActive() : null, s != null ? s.kvBytesKept() : 0, s != null ? s.kvBytesFull() : 0);
    }

    private static double millis(ChatResponseMetadata md, String key) {
        Duration d = md.get(key);
        return d != null ? d.toNanos() / 1e6 : 0;
    }

    private static Number number(ChatResponseMetadata md, String key) {
        Number n = md.get(key);
        return n != null ? n : 0;
    }
}
