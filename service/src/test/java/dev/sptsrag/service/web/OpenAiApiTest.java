package dev.sptsrag.service.web;

import dev.sptsrag.service.TestEngines;
import dev.sptsrag.service.ai.SptsChatModel;
import dev.sptsrag.service.ai.SptsChatOptions;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** POST /v1/chat/completions and GET /v1/models, through Spring AI's OpenAI client and raw HTTP. */
class OpenAiApiTest extends WebTestBase {
    @Autowired
    SptsChatModel chatModel;

    private OpenAiChatModel openAiClient(boolean streamUsage) {
        return OpenAiChatModel.builder().options(OpenAiChatOptions.builder()
                .baseUrl("http://127.0.0.1:" + port + "/v1").apiKey(KEY).model(MODEL)
                .temperature(0.0).maxTokens(12).maxRetries(0).streamUsage(streamUsage).build()).build();
    }

    private String direct(String user, int maxTokens) {
        return chatModel.call(new Prompt(new UserMessage(user),
                SptsChatOptions.builder().temperature(0.0).maxTokens(maxTokens).build())).getResult().getOutput().getText();
    }

    @Test
    void springAiOpenAiClientGetsTheModelsAnswer() {
        ChatResponse response = openAiClient(false).call(new Prompt("What is in the archive?"));
        String text = response.getResult().getOutput().getText();
        assertThat(text).isNotEmpty().isEqualTo(direct("What is in the archive?", 12));
        assertThat(response.getMetadata().getModel()).isEqualTo(MODEL);
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 12);
        assertThat(response.getMetadata().getUsage().getPromptTokens()).isGreaterThan(5);
        assertThat(response.getResult().getMetadata().getFinishReason()).isIn("STOP", "LENGTH");
    }

    @Test
    void springAiOpenAiClientStreams() {
        List<ChatResponse> chunks = openAiClient(true).stream(new Prompt("What is in the archive?"))
                .collectList().block(Duration.ofSeconds(60));
        String text = chunks.stream().map(c -> c.getResult() == null ? null : c.getResult().getOutput().getText())
                .filter(Objects::nonNull).collect(Collectors.joining());
        assertThat(text).isNotEmpty().isEqualTo(direct("What is in the archive?", 12));
        assertThat(chunks.getLast().getMetadata().getUsage().getCompletionTokens()).isBetween(1, 12);
    }

    @Test
    void streamingSendsOpenAiChunksThenUsageThenDone() throws Exception {
        HttpResponse<java.util.stream.Stream<String>> response = http.send(request("/v1/chat/completions")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"model": "%s", "messages": [{"role": "user", "content": "Hello"}],
                                 "max_tokens": 10, "stream": true, "stream_options": {"include_usage": true}}
                                """.formatted(MODEL))).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<String> data = response.body().filter(l -> !l.isEmpty()).toList();
        assertThat(data).allSatisfy(l -> assertThat(l).startsWith("data: "));
        assertThat(data.getLast()).isEqualTo("data: [DONE]");
        List<JsonNode> chunks = data.subList(0, data.size() - 1).stream().map(l -> json(l.substring(6))).toList();

        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.get("object").asString()).isEqualTo("chat.completion.chunk");
            assertThat(c.get("model").asString()).isEqualTo(MODEL);
            assertThat(c.get("id").asString()).isEqualTo(chunks.getFirst().get("id").asString());
        });
        assertThat(chunks.getFirst().at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        JsonNode usage = chunks.getLast();
        assertThat(usage.get("choices").size()).isZero();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isBetween(1, 10);
        assertThat(usage.at("/usage/total_tokens").asInt())
                .isEqualTo(usage.at("/usage/prompt_tokens").asInt() + usage.at("/usage/completion_tokens").asInt());
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertThat(finish.at("/choices/0/finish_reason").asString()).isIn("stop", "length");
        assertThat(finish.at("/spts/ttft_ms").asDouble()).isPositive();
        String text = chunks.subList(1, chunks.size() - 2).stream()
                .map(c -> c.at("/choices/0/delta/content").asString()).collect(Collectors.joining());
        assertThat(text).isEqualTo(direct("Hello", 10));

        // without include_usage: no usage chunk, as OpenAI
        List<String> plain = http.send(request("/v1/chat/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 4, "stream": true}
                        """)).build(), HttpResponse.BodyHandlers.ofLines()).body().filter(l -> !l.isEmpty()).toList();
        assertThat(plain.getLast()).isEqualTo("data: [DONE]");
        assertThat(plain).noneMatch(l -> l.contains("\"usage\""));
    }

    @Test
    void jsonCompletionCarriesUsageFinishReasonTimingsAndSkipStatistics() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", """
                {"model": "%s", "messages": [{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "The harbour office keeps letters, maps and ledgers sorted by year."}]}],
                 "max_completion_tokens": 6, "temperature": 0, "seed": 1,
                 "skip": {"mode": "SPTS", "startLayer": 1, "boundaries": [2], "stageBudgets": [8], "removalPerBoundary": 4}}
                """.formatted(MODEL));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r.body());
        assertThat(body.get("object").asString()).isEqualTo("chat.completion");
        assertThat(body.at("/choices/0/message/role").asString()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/message/content").asString()).isNotEmpty();
        assertThat(body.at("/choices/0/finish_reason").asString()).isIn("stop", "length");
        assertThat(body.at("/usage/completion_tokens").asInt()).isBetween(1, 6);
        assertThat(body.at("/spts/skip_budget/mode").asString()).isEqualTo("SPTS");
        assertThat(body.at("/spts/skip_budget/startLayer").asInt()).isEqualTo(1);
        assertThat(body.at("/spts/skip_budget/stageBudgets/0").asInt()).isEqualTo(8);
        assertThat(body.at("/spts/skip_budget/removalPerBoundary").asInt()).isEqualTo(4);
        assertThat(body.at("/spts/skip_effective").asBoolean()).isTrue();
        assertThat(body.at("/spts/skip_reason").isMissingNode()).isTrue();
        assertThat(body.at("/spts/skipped_token_ratio").asDouble()).isPositive();
        assertThat(body.at("/spts/attention_active_per_layer").size()).isEqualTo(3);
    }

    @Test
    void aPresetThatSkipsNothingForThePromptSaysSoAndStrictRefusesIt() throws Exception {
        // "default" on the 3-layer fixture keeps 9216 tokens a stage: a short prompt fits it whole.
        HttpResponse<String> preset = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "skip": "default"}""");
        assertThat(preset.statusCode()).as(preset.body()).isEqualTo(200);
        JsonNode spts = json(preset.body()).get("spts");
        assertThat(spts.at("/skip_budget/stageBudgets/0").asInt()).as(preset.body()).isEqualTo(9216);
        assertThat(spts.get("skip_effective").asBoolean()).isFalse();
        assertThat(spts.get("skip_reason").asString()).contains("fits within every stage budget", "smallest is 9216");
        assertThat(spts.get("skipped_token_ratio").asDouble()).isZero();

        HttpResponse<String> strict = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2,
                 "skip": {"preset": "default", "strict": true}}""");
        assertThat(strict.statusCode()).as(strict.body()).isEqualTo(400);
        assertThat(json(strict.body()).get("field").asString()).isEqualTo("skip");
        assertThat(json(strict.body()).get("detail").asString()).contains("skip nothing", "fits within every stage budget");
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        JsonNode list = json(get("/v1/models").body());
        assertThat(list.get("object").asString()).isEqualTo("list");
        assertThat(list.at("/data/0/id").asString()).isEqualTo(MODEL);
        assertThat(list.at("/data/0/object").asString()).isEqualTo("model");
        assertThat(get("/v1/models/" + MODEL).statusCode()).isEqualTo(200);
        assertThat(get("/v1/models/gpt-4o").statusCode()).isEqualTo(404);
    }

    @Test
    void aFullQueueIsTooManyRequestsWithRetryAfter() throws Exception {
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 8, 4); // a queue of one: full
        try {
            for (boolean stream : new boolean[] {false, true}) {
                HttpResponse<String> r = post("/v1/chat/completions", """
                        {"messages": [{"role": "user", "content": "Hi"}], "stream": %s}""".formatted(stream));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
                assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                JsonNode problem = json(r.body());
                assertThat(problem.get("status").asInt()).isEqualTo(429);
                assertThat(problem.get("detail").asString()).contains("busy");
                assertThat(problem.get("code").asString()).isEqualTo("engine_busy");
                assertThat(problem.at("/error/type").asString()).isEqualTo("rate_limit_error");
            }
        } finally {
            busy.hold().release();
        }
        busy.running().result().get(30, TimeUnit.SECONDS);
        busy.queued().result().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aPromptLongerThanTheContextIsABadRequestWithTheCounts() throws Exception {
        String huge = "word ".repeat(400);
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = post("/v1/chat/completions", """
                    {"messages": [{"role": "user", "content": "%s"}], "stream": %s}""".formatted(huge, stream));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            JsonNode problem = json(r.body());
            assertThat(problem.get("code").asString()).isEqualTo("context_length_exceeded");
            assertThat(problem.get("promptTokens").asInt()).isGreaterThan(256);
            assertThat(problem.get("contextLength").asInt()).isEqualTo(256);
            assertThat(problem.get("detail").asString()).contains("exceeds the context window of 256 tokens");
        }
    }

    @Test
    void invalidInputIsABadRequestNamingTheField() throws Exception {
        record Case(String body, int status, String detail) {
        }
        for (Case c : List.of(
                new Case("{\"messages\": []}", 400, "messages"),
                new Case("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": -1}", 400, "temperature"),
                new Case("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}", 400, "n: only 1"),
                new Case("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"skip\": \"fastest\"}", 400, "fastest"),
                new Case("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\"}]}", 400, "tool"),
                new Case("{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", 400, "unknown role"),
                new Case("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 404, "gpt-4o"),
                new Case("{\"messages\": ", 400, ""))) {
            HttpResponse<String> r = post("/v1/chat/completions", c.body());
            assertThat(r.statusCode()).as(c.body() + " -> " + r.body()).isEqualTo(c.status());
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(json(r.body()).get("detail").asString()).contains(c.detail());
        }
    }

    /**
     * The stream's client hangs up while its request waits behind another (the engine held on purpose), so
     * the hang-up comes before the generation however fast the machine: the stream's first writes find the
     * connection closed and stop the generation (were the client to close after the first event, a fast
     * machine could finish all the tokens into the socket's buffer before the close, and nothing would be
     * cancelled).
     */
    @Test
    void aClientThatHangsUpStopsTheGenerationAndFreesTheEngine() throws Exception {
        double cancelledBefore = cancelledRequests();
        TestEngines.Hold hold = new TestEngines.Hold();
        var running = scheduler.submit(TestEngines.request(scheduler, "running", 4), hold);
        hold.awaitHeld();
        try {
            postThenHangUpWhileQueued("/v1/chat/completions", """
                    {"messages": [{"role": "user", "content": "Write a very long story."}], "max_tokens": 220, "stream": true}
                    """);
        } finally {
            hold.release();
            running.result().get();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.activeRequests() == 0 && scheduler.queueDepth() == 0);
        assertThat(cancelledRequests()).isEqualTo(cancelledBefore + 1);
        assertThat(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2}")
                .statusCode()).isEqualTo(200);
    }

    @Test
    void aClientThatHangsUpWhileWaitingForACompletionIsTakenOutOfTheQueue() throws Exception {
        assertAHangUpWhileWaitingCancelsTheRequest("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Write a very long story.\"}], \"max_tokens\": 220}");
        assertThat(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2}")
                .statusCode()).isEqualTo(200);
    }
}
