package dev.sptsrag.service.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sptsrag.service.ai.SkipSpec;
import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/** The OpenAI chat-completions wire format: the subset we take and the shapes we answer with. */
public final class OpenAiApi {
    private OpenAiApi() {
    }

    /**
     * {@code POST /v1/chat/completions}. Besides OpenAI's fields: {@code top_k}, {@code min_p},
     * {@code repetition_penalty} and {@code skip} (the SPTS skip budget: a preset or an explicit budget).
     */
    public record ChatCompletionRequest(
            String model,
            List<Message> messages,
            @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
            Double temperature,
            @JsonProperty("top_p") Double topP,
            @JsonProperty("top_k") Integer topK,
            @JsonProperty("min_p") Double minP,
            @JsonProperty("repetition_penalty") Double repetitionPenalty,
            @JsonProperty("presence_penalty") Double presencePenalty,
            @JsonProperty("frequency_penalty") Double frequencyPenalty,
            Long seed,
            @Schema(description = "a string or an array of up to 4 strings", oneOf = {String.class, String[].class})
            Object stop,
            Boolean stream,
            @JsonProperty("stream_options") StreamOptions streamOptions,
            Integer n,
            SkipSpec skip,
            @Schema(description = "not supported yet: a non-empty list is refused") List<Object> tools,
            @Schema(description = "not supported: true is refused") Boolean logprobs,
            @JsonProperty("response_format") Map<String, Object> responseFormat) {
    }

    /** A message; {@code content} is a string or a list of {@code {"type":"text","text":...}} parts. */
    public record Message(String role,
                          @Schema(oneOf = {String.class, List.class}) Object content,
                          String name,
                          @JsonProperty("tool_calls") List<Object> toolCalls,
                          @JsonProperty("tool_call_id") String toolCallId) {
    }

    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
    }

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                        @JsonProperty("completion_tokens") int completionTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
    }

    /**
     * The engine's figures for a request (our extension, under {@code spts}). With a skip budget:
     * {@code skip_budget} (resolved against the model, in the form {@code skip} takes), {@code skip_effective}
     * and, when it skipped nothing for this prompt, {@code skip_reason}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Timings(@JsonProperty("queue_ms") double queueMs,
                          @JsonProperty("ttft_ms") double ttftMs,
                          @JsonProperty("prefill_ms") double prefillMs,
                          @JsonProperty("decode_ms") double decodeMs,
                          @JsonProperty("prefill_tokens_per_second") double prefillTokensPerSecond,
                          @JsonProperty("decode_tokens_per_second") double decodeTokensPerSecond,
                          @JsonProperty("skip_budget") SkipSpec.Explicit skipBudget,
                          @JsonProperty("skip_effective") Boolean skipEffective,
                          @JsonProperty("skip_reason") String skipReason,
                          @JsonProperty("skipped_token_ratio") double skippedTokenRatio,
                          @JsonProperty("attention_active_per_layer") int[] attentionActivePerLayer,
                          @JsonProperty("kv_bytes_kept") Long kvBytesKept,
                          @JsonProperty("kv_bytes_full") Long kvBytesFull) {
    }

    public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices,
                                 Usage usage, Timings spts) {
    }

    public record Choice(int index, ResponseMessage message, Object logprobs,
                         @JsonProperty("finish_reason") String finishReason) {
    }

    public record ResponseMessage(String role, String content) {
    }

    public record ChatCompletionChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                                      @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage,
                                      @JsonInclude(JsonInclude.Include.NON_NULL) Timings spts) {
    }

    public record ChunkChoice(int index, Delta delta, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {
    }

    public record ModelList(String object, List<ModelCard> data) {
    }

    public record ModelCard(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
