package dev.sptsrag.service.rag;

import dev.sptsrag.inference.eval.TaskFamily;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The engine's rag_records task asks under the same system message as the service's RAG prompt. */
class RagSystemPromptTest {

    @Test
    void theEvaluationCopyOfTheRagSystemMessageMatchesTheService() {
        assertEquals(RagService.SYSTEM, TaskFamily.RAG_SYSTEM);
    }
}
