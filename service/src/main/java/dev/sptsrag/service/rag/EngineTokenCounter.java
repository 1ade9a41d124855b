package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.service.ops.EngineScheduler;

import java.util.Objects;

/**
 * Retrieval's {@link TokenCounter} backed by the served model's tokenizer, so that chunk sizes and
 * context budgets are in the tokens the model will read. Special-token text counts as plain text
 * ({@code encodeOrdinary}): documents are never read as control tokens. Until the engine has loaded
 * there is no tokenizer, and counting fails as a request to the engine would (503).
 */
public final class EngineTokenCounter implements TokenCounter {
    private final EngineScheduler scheduler;

    public EngineTokenCounter(EngineScheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    @Override
    public int count(String text) {
        return text.isEmpty() ? 0 : scheduler.loaded().model().tokenizer().encodeOrdinary(text).length;
    }
}
