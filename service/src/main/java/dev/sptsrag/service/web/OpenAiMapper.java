package dev.sptsrag.service.web;

import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.service.ai.AppliedSkip;
import dev.sptsrag.service.ai.SptsChatMetadata;
import dev.sptsrag.service.ai.SptsChatOptions;
import dev.sptsrag.service.web.OpenAiApi.ChatCompletionRequest;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Between the OpenAI wire format and Spring AI's prompts and responses. */
final class OpenAiMapper {
    /** The request as a prompt with {@link SptsChatOptions}; what we do not support is refused, not ignored. */
    Prompt toPrompt(ChatCompletionRequest r) {
        if (r.messages() == null || r.messages().isEmpty()) {
            throw new InvalidApiRequestException("messages", "at least one message is required");
        }
        if (r.n() != null && r.n() != 1) {
            throw new InvalidApiRequestException("n", "only 1 choice per request is supported, was " + r.n());
        }
        if (r.tools() != null && !r.tools().isEmpty()) {
            throw new InvalidApiRequestException("tools", "tool calling is not supported yet");
        }
        if (Boolean.TRUE.equals(r.logprobs())) {
            throw new InvalidApiRequestException("logprobs", "not supported");
        }
        if (r.responseFormat() != null && !"text".equals(r.responseFormat().get("type"))) {
            throw new InvalidApiRequestException("response_format", "only {\"type\": \"text\"} is supported");
        }
        checkRanges(r);
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < r.messages().size(); i++) {
            messages.add(toMessage(r.messages().get(i), i));
        }
        SptsChatOptions options = SptsChatOptions.builder()
                .model(r.model())
                .maxTokens(r.maxCompletionTokens() != null ? r.maxCompletionTokens() : r.maxTokens())
                .temperature(r.temperature()).topP(r.topP()).topK(r.topK()).minP(r.minP())
                .repetitionPenalty(r.repetitionPenalty()).presencePenalty(r.presencePenalty())
                .frequencyPenalty(r.frequencyPenalty()).seed(r.seed())
                .stopSequences(stops(r.stop()))
                .skip(r.skip())
                .build();
        return new Prompt(messages, options);
    }

    /** OpenAI's ranges, field by field, so that /v1 takes what /api/ask takes and names what it refuses. */
    private static void checkRanges(ChatCompletionRequest r) {
        range("temperature", r.temperature(), 0, 2);
        range("top_p", r.topP(), Double.MIN_VALUE, 1);
        range("min_p", r.minP(), 0, 0.999_999);
        range("presence_penalty", r.presencePenalty(), -2, 2);
        range("frequency_penalty", r.frequencyPenalty(), -2, 2);
        range("repetition_penalty", r.repetitionPenalty(), Double.MIN_VALUE, 10);
        if (r.maxTokens() != null && r.maxTokens() < 1) {
            throw new InvalidApiRequestException("max_tokens", "must be at least 1, was " + r.maxTokens());
        }
        if (r.maxCompletionTokens() != null && r.maxCompletionTokens() < 1) {
            throw new InvalidApiRequestException("max_completion_tokens", "must be at least 1, was " + r.maxCompletionTokens());
        }
        if (r.topK() != null && r.topK() < 0) {
            throw new InvalidApiRequestException("top_k", "must be 0 (off) or more, was " + r.topK());
        }
    }

    private static void range(String field, Double value, double min, double max) {
        if (value != null && !(value >= min && value <= max)) {
            throw new InvalidApiRequestException(field, "must be in [" + (min == Double.MIN_VALUE ? "> 0" : min) + ", "
                    + max + "], was " + value);
        }
    }

    private static Message toMessage(OpenAiApi.Message m, int index) {
        String where = "messages[" + index + "]";
        if (m == null || m.role() == null) {
            throw new InvalidApiRequestException(where + ".role", "is required");
        }
        String text = text(m.content(), where);
        return switch (m.role()) {
            case "system", "developer" -> new SystemMessage(text);
            case "user" -> new UserMessage(text);
            case "assistant" -> {
                if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
                    throw new InvalidApiRequestException(where + ".tool_calls", "tool calling is not supported yet");
                }
                yield new AssistantMessage(text);
            }
            case "tool", "function" -> throw new InvalidApiRequestException(where + ".role", "tool messages are not "
                    + "supported yet");
            default -> throw new InvalidApiRequestException(where + ".role", "unknown role '" + m.role()
                    + "'; use system, developer, user or assistant");
        };
    }

    private static String text(Object content, String where) {
        if (content == null) {
            return "";
        }
        if (content instanceof String s) {
            return s;
        }
        if (content instanceof List<?> parts) {
            StringBuilder sb = new StringBuilder();
            for (Object part : parts) {
                if (!(part instanceof Map<?, ?> p) || !"text".equals(p.get("type")) || !(p.get("text") instanceof String t)) {
                    throw new InvalidApiRequestException(where + ".content", "only text parts are supported "
                            + "({\"type\": \"text\", \"text\": ...})");
                }
                sb.append(t);
            }
            return sb.toString();
        }
        throw new InvalidApiRequestException(where + ".content", "must be a string or a list of text parts");
    }

    private static List<String> stops(Object stop) {
        if (stop == null) {
            return null;
        }
        if (stop instanceof String s) {
            return List.of(s);
        }
        if (stop instanceof List<?> list && list.size() <= 4 && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new InvalidApiRequestException("stop", "must be a string or a list of at most 4 strings");
    }

    OpenAiApi.ChatCompletion toCompletion(ChatResponse response, long created) {
        ChatResponseMetadata md = response.getMetadata();
        var result = response.getResult();
        String finish = result == null ? null : finishReason(result.getMetadata().getFinishReason());
        String text = result == null ? "" : result.getOutput().getText();
        return new OpenAiApi.ChatCompletion(md.getId(), "chat.completion", created, md.getModel(),
                List.of(new OpenAiApi.Choice(0, new OpenAiApi.ResponseMessage("assistant", text), null, finish)),
                usage(md.getUsage()), timings(md));
    }

    static String finishReason(String reason) {
        return reason == null ? null : reason.toLowerCase(Locale.ROOT);
    }

    static OpenAiApi.Usage usage(Usage u) {
        return new OpenAiApi.Usage(u.getPromptTokens(), u.getCompletionTokens(), u.getTotalTokens());
    }

    static OpenAiApi.Timings timings(ChatResponseMetadata md) {
        SkipStatistics s = md.get(SptsChatMetadata.SKIP_STATISTICS);
        AppliedSkip applied = md.get(SptsChatMetadata.SKIP_BUDGET);
        return new OpenAiApi.Timings(ms(md, SptsChatMetadata.QUEUE_DURATION), ms(md, SptsChatMetadata.TTFT),
                ms(md, SptsChatMetadata.PREFILL_DURATION), ms(md, SptsChatMetadata.DECODE_DURATION),
                md.getOrDefault(SptsChatMetadata.PREFILL_TOKENS_PER_SECOND, 0.0),
                md.getOrDefault(SptsChatMetadata.DECODE_TOKENS_PER_SECOND, 0.0),
                applied != null ? applied.budget() : null, applied != null ? applied.effective() : null,
                applied != null ? applied.reason() : null, md.getOrDefault(SptsChatMetadata.SKIPPED_TOKEN_RATIO, 0.0),
                s == null ? null : s.attentionActive(), md.get(SptsChatMetadata.KV_BYTES_KEPT),
                md.get(SptsChatMetadata.KV_BYTES_FULL));
    }

    private static double ms(ChatResponseMetadata md, String key) {
        Duration d = md.get(key);
        return d == null ? 0 : d.toNanos() / 1e6;
    }
}
