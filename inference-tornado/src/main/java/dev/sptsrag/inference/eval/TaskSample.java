package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * One evaluation question (docs/tasks.md): the prompt is the model's chat template over an optional
 * system message and one user message, {@code context + "\n\n" + question}.
 *
 * @param task     the family or a user's label (cells of the report are grouped by it)
 * @param length   the target prompt length in tokens (cells are grouped by it; the real count is at most this)
 * @param context  the long context
 * @param question the question after it
 * @param answers  the references scored by {@link StringMatch#all}
 * @param system   the system message, or null
 */
public record TaskSample(String task, int length, String context, String question, List<String> answers, String system) {

    public TaskSample {
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("a task sample needs a task name");
        }
        if (length < 1) {
            throw new IllegalArgumentException("task sample length must be >= 1, was " + length);
        }
        if (context == null || question == null || question.isBlank()) {
            throw new IllegalArgumentException("a task sample needs a context and a question");
        }
        if (answers == null || answers.isEmpty() || answers.stream().anyMatch(a -> a == null || a.isEmpty())) {
            throw new IllegalArgumentException("a task sample needs at least one non-empty answer");
        }
        answers = List.copyOf(answers);
    }

    /** The user's message: the context, a blank line, the question. */
    public String userMessage() {
        return context + "\n\n" + question;
    }

    /** The conversation the chat template renders. */
    public List<ChatMessage> messages() {
        List<ChatMessage> m = new ArrayList<>(2);
        if (system != null) {
            m.add(ChatMessage.system(system));
        }
        m.add(ChatMessage.user(userMessage()));
        return m;
    }

    /**
     * The answer the demo model was trained to give: the answers joined by {@code ", "}; {@code vt} by a space;
     * {@code rag_records} the value, a space and the citation.
     */
    public String referenceAnswer() {
        return switch (task) {
            case "vt", "rag_records" -> String.join(" ", answers);
            default -> String.join(", ", answers);
        };
    }

    /** The same sample with another context (generators fit it to the length). */
    TaskSample withContext(String newContext) {
        return new TaskSample(task, length, newContext, question, answers, system);
    }
}
