package dev.sptsrag.service.web;

import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.service.ai.SkipSpec;
import dev.sptsrag.service.ai.SptsChatMetadata;
import dev.sptsrag.service.ai.SptsChatOptions;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** API key, health probes, meters, the OpenAPI description, and a ChatClient on our chat model bean. */
class ServiceEndpointsTest extends WebTestBase {
    @Autowired
    ChatClient.Builder chatClientBuilder;

    private HttpResponse<String> withHeaders(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theApiKeyIsEnforcedOnTheApiOnly() throws Exception {
        HttpResponse<String> none = withHeaders("/v1/models");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(none.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = json(none.body());
        assertThat(problem.get("status").asInt()).isEqualTo(401);
        assertThat(problem.get("detail").asString()).contains("API key is required");

        assertThat(withHeaders("/v1/models", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(withHeaders("/v1/models", "X-API-Key", "wrong").statusCode()).isEqualTo(401);
        assertThat(withHeaders("/v1/models", "Authorization", "Bearer " + KEY).statusCode()).isEqualTo(200);
        assertThat(withHeaders("/v1/models", "X-API-Key", KEY).statusCode()).isEqualTo(200);
        assertThat(withHeaders("/api/anything").statusCode()).isEqualTo(401); // the RAG API will sit behind it too

        assertThat(withHeaders("/actuator/health").statusCode()).isEqualTo(200);
        assertThat(withHeaders("/v3/api-docs").statusCode()).isEqualTo(200);
    }

    @Test
    void readinessShowsTheEngineAndLivenessItsWorker() throws Exception {
        HttpResponse<String> open = withHeaders("/actuator/health/readiness");
        assertThat(open.statusCode()).as(open.body()).isEqualTo(200);
        assertThat(json(open.body()).at("/components/engine/status").asString()).isEqualTo("UP");
        assertThat(open.body()).as("details (model, memory plan, paths) only with the key").doesNotContain("memoryPlan", "details");

        HttpResponse<String> readiness = withHeaders("/actuator/health/readiness", "Authorization", "Bearer " + KEY);
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        JsonNode r = json(readiness.body());
        assertThat(r.get("status").asString()).isEqualTo("UP");
        JsonNode engine = r.at("/components/engine");
        assertThat(engine.get("status").asString()).isEqualTo("UP");
        assertThat(engine.at("/details/state").asString()).isEqualTo("ready");
        assertThat(engine.at("/details/model").asString()).isEqualTo(MODEL);
        assertThat(engine.at("/details/backend").asString()).startsWith("CPU");
        assertThat(engine.at("/details/memoryPlan").asString()).contains("KV cache");
        assertThat(engine.at("/details/contextLength").asInt()).isEqualTo(256);
        assertThat(r.at("/components/readinessState/status").asString()).isEqualTo("UP");

        JsonNode liveness = json(withHeaders("/actuator/health/liveness").body());
        assertThat(liveness.get("status").asString()).isEqualTo("UP");
        assertThat(liveness.at("/components/engineWorker/status").asString()).isEqualTo("UP");
        assertThat(liveness.at("/components/engine").isMissingNode()).isTrue();
    }

    @Test
    void prometheusHasTheEngineMetersAndTheGenAiObservations() throws Exception {
        assertThat(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3}")
                .statusCode()).isEqualTo(200);
        String scrape = withHeaders("/actuator/prometheus").body();
        assertThat(scrape).contains("spts_engine_ttft_seconds_bucket", "spts_engine_latency_seconds_bucket",
                "spts_engine_queue_depth", "spts_engine_active_requests", "spts_engine_prefill_throughput",
                "spts_engine_decode_throughput", "spts_engine_skipped_ratio", "spts_engine_kv_cache_bytes",
                "spts_engine_requests_total{outcome=\"completed\"", "gen_ai_client_operation_seconds",
                "gen_ai_client_token_usage", "gen_ai_server_time_to_first_token_seconds_bucket",
                "gen_ai_server_request_duration_seconds_bucket", "gen_ai_server_time_per_output_token_seconds_bucket",
                "spts_engine_kv_blocks{state=\"kept\"", "spts_engine_batch_rows", "spts_engine_preemptions_total",
                "spts_engine_prefix_reused_tokens_total");
    }

    @Test
    void theOpenApiDescriptionCoversTheApi() throws Exception {
        JsonNode api = json(withHeaders("/v3/api-docs").body());
        assertThat(api.get("openapi").asString()).startsWith("3.");
        assertThat(api.at("/paths/~1v1~1chat~1completions/post").isMissingNode()).isFalse();
        assertThat(api.at("/paths/~1v1~1models/get").isMissingNode()).isFalse();
        assertThat(api.at("/components/schemas/ChatCompletionRequest/properties/skip").isMissingNode()).isFalse();
        // The skip budget's three forms, documented as alternatives; responses report the explicit one.
        assertThat(api.at("/components/schemas/ChatCompletionRequest/properties/skip/$ref").asString())
                .isEqualTo("#/components/schemas/SkipSpec");
        JsonNode forms = api.at("/components/schemas/SkipSpec/oneOf");
        assertThat(forms.size()).as(forms.toString()).isEqualTo(3);
        assertThat(forms.get(0).get("type").asString()).isEqualTo("string");
        assertThat(forms.get(1).get("$ref").asString()).isEqualTo("#/components/schemas/SkipPreset");
        assertThat(forms.get(2).get("$ref").asString()).isEqualTo("#/components/schemas/SkipBudget");
        assertThat(api.at("/components/schemas/SkipBudget/properties/stageBudgets/type").asString()).isEqualTo("array");
        assertThat(api.at("/components/schemas/SkipPreset/properties/strict/type").asString()).isEqualTo("boolean");
        assertThat(api.at("/components/schemas/Skip/properties/budget/$ref").asString())
                .isEqualTo("#/components/schemas/SkipBudget");
    }

    @Test
    void aChatClientOnOurModelTakesASkipBudgetPerRequest() {
        ChatClient client = chatClientBuilder.build();
        String user = "The harbour office keeps letters, maps and ledgers sorted by year and by ship name.";
        ChatResponse skipping = client.prompt().user(user)
                .options(SptsChatOptions.builder().maxTokens(4)
                        .skip(new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {8}, 0, 0, 0)))
                .call().chatResponse();
        assertThat((Double) skipping.getMetadata().get(SptsChatMetadata.SKIPPED_TOKEN_RATIO)).isPositive();
        assertThat(skipping.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 4);

        ChatResponse full = client.prompt().user(user).options(SptsChatOptions.builder().maxTokens(4).skip(SkipSpec.preset("off")))
                .call().chatResponse();
        assertThat((Double) full.getMetadata().get(SptsChatMetadata.SKIPPED_TOKEN_RATIO)).isZero();
        assertThat(full.getMetadata().containsKey(SptsChatMetadata.SKIP_BUDGET)).isFalse();
    }
}
