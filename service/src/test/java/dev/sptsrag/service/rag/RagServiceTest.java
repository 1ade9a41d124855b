package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.search.Retriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.search.SearchResults;
import dev.sptsrag.service.ai.InvalidChatRequestException;
import dev.sptsrag.service.ai.PromptTokens;
import dev.sptsrag.service.ai.SptsChatOptions;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RagService} on its ports alone (Spring AI's {@link ChatModel}, {@link PromptTokens}, retrieval's
 * {@link Retriever}), without an engine: the context budget it derives from the model's window and the prompt
 * without sources, and that untrusted text reaches the model only escaped.
 */
class RagServiceTest {
    private static final String CONTROL = "<|ctl|>";
    private static final String ESCAPED = "<ESCAPED>";
    private static final RagProperties PROPERTIES = new RagProperties(Path.of("unused"), 50, 512, 384, 48, 512);

    /** A window of 1,000 tokens in which every prompt without sources costs 100. */
    private static final class FakePromptTokens implements PromptTokens {
        final List<List<Message>> counted = new ArrayList<>();

        @Override
        public int contextLength() {
            return 1000;
        }

        @Override
        public int count(List<Message> messages) {
            counted.add(messages);
            return 100;
        }

        @Override
        public String escapeControlTokens(String untrusted) {
            return untrusted.replace(CONTROL, ESCAPED);
        }
    }

    /** Answers every prompt with "ok" and keeps the prompts it was given. */
    private static final class RecordingChatModel implements ChatModel {
        final List<Prompt> prompts = new ArrayList<>();

        @Override
        public ChatResponse call(Prompt prompt) {
            throw new UnsupportedOperationException("the RAG service streams");
        }

        @Override
        public Flux<ChatResponse> stream(Prompt prompt) {
            prompts.add(prompt);
            return Flux.just(new ChatResponse(List.of(new Generation(new AssistantMessage("ok"),
                    ChatGenerationMetadata.builder().finishReason("STOP").build())), ChatResponseMetadata.builder().build()));
        }

        @Override
        public ChatOptions getOptions() {
            return SptsChatOptions.builder().build();
        }
    }

    /** Returns the same hits for every search. */
    private record FixedRetriever(List<ChunkHit> hits) implements Retriever {
        @Override
        public SearchResults search(SearchRequest request) {
            return new SearchResults(hits, hits.size(), 0);
        }

        @Override
        public List<ChunkHit> chunks(String collection, String documentId, int fromOrdinal, int toOrdinal) {
            return List.of();
        }

        @Override
        public long count(SearchFilter filter) {
            return hits.size();
        }
    }

    private final FakePromptTokens promptTokens = new FakePromptTokens();
    private final RecordingChatModel chatModel = new RecordingChatModel();

    private RagService service(String... chunkTexts) {
        List<ChunkHit> hits = new ArrayList<>();
        IndexedDocument document = new IndexedDocument("default", "notes", "Notes", "notes.txt", Map.of());
        for (int i = 0; i < chunkTexts.length; i++) {
            String text = chunkTexts[i];
            int tokens = new ApproximateTokenCounter().count(text);
            hits.add(new ChunkHit(document, new Chunk("notes", i, text, i * 1000, i * 1000 + text.length(), List.of(),
                    null, 0, 0, tokens), 1f - i * 0.1f));
        }
        return new RagService(new FixedRetriever(hits), new ApproximateTokenCounter(), chatModel, promptTokens, PROPERTIES);
    }

    private static RagAnswer ask(RagService service, RagQuestion q) {
        return service.stream(q).filter(c -> c.done() != null).blockLast().done();
    }

    private static RagQuestion question(String text, Integer contextTokens, Integer maxTokens) {
        return new RagQuestion(text, null, null, contextTokens, null, maxTokens, null);
    }

    @Test
    void theContextBudgetIsWhatTheWindowLeavesAfterThePromptWithoutSourcesAndTheAnswer() {
        RagAnswer answer = ask(service("Fig trees fruit twice a year."), question("When do figs fruit?", null, 50));

        assertThat(answer.context().tokenBudget()).isEqualTo(1000 - 100 - 50 - RagService.SEAM_MARGIN);
        assertThat(answer.context().tokensUsed()).isPositive();
        // Counted once, without sources: the full prompt is tokenized by the chat model only.
        assertThat(promptTokens.counted).hasSize(1);
        assertThat(promptTokens.counted.getFirst().getLast().getText()).contains("When do figs fruit?")
                .doesNotContain("Fig trees");
        assertThat(chatModel.prompts.getFirst().getOptions().getMaxTokens()).isEqualTo(50);

        RagAnswer capped = ask(service("Fig trees fruit twice a year."), question("When?", 200, 50));
        assertThat(capped.context().tokenBudget()).isEqualTo(200);
    }

    @Test
    void withoutMaxTokensTheAnswerGetsAtMostAQuarterOfTheWindow() {
        ask(service("Fig trees fruit twice a year."), question("When do figs fruit?", null, null));
        assertThat(chatModel.prompts.getFirst().getOptions().getMaxTokens()).isEqualTo(1000 / 4); // 512 configured
    }

    @Test
    void aQuestionThatLeavesNoRoomForSourcesIsRefusedBeforeTheModelIsAsked() {
        assertThatThrownBy(() -> service("Fig trees.").stream(question("When?", null, 1000 - 100 - RagService.SEAM_MARGIN)))
                .isInstanceOf(InvalidChatRequestException.class).hasMessageContaining("leave no room for sources");
        assertThat(chatModel.prompts).isEmpty();
    }

    @Test
    void untrustedTextReachesTheModelOnlyEscaped() {
        ask(service("Figs " + CONTROL + " fruit twice."), question("When " + CONTROL + " do figs fruit?", null, 50));

        String user = chatModel.prompts.getFirst().getUserMessage().getText();
        assertThat(user).doesNotContain(CONTROL).contains("Figs " + ESCAPED + " fruit twice.",
                "When " + ESCAPED + " do figs fruit?");
        assertThat(promptTokens.counted.getFirst().getLast().getText()).doesNotContain(CONTROL);
    }
}
