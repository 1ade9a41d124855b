package dev.sptsrag.service.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RAG API over the real engine (fixture model, random weights: the answer is gibberish, so only its
 * structure, citations and counts are checked) and a real Lucene index in a temporary folder. The
 * context window is the fixture's full 512 tokens; the index is this class's own, so the context is too.
 */
@DirtiesContext // closes the index before its folder is deleted
class RagApiTest extends WebTestBase {
    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @TempDir
    static Path indexDir;

    @DynamicPropertySource
    static void index(DynamicPropertyRegistry registry) {
        registry.add("spts.rag.index-path", () -> indexDir.toString());
        registry.add("spring.ai.spts.chat.context-length", () -> 512);
    }

    private HttpResponse<String> upload(String collection, String fileName, String content) throws Exception {
        String boundary = "----spts" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        return http.send(request("/api/documents?collection=" + collection)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(String path) throws Exception {
        return http.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> values(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get(field).asString()));
        return out;
    }

    @Test
    void answersFromTheIngestedDocumentsWithCitationsUsageAndTimings() throws Exception {
        HttpResponse<String> text = post("/api/documents", """
                {"id": "kiwi", "title": "Kiwi vines", "collection": "garden",
                 "text": "Kiwi vines need a strong trellis. Water kiwi vines deeply once a week in summer."}""");
        assertThat(text.statusCode()).as(text.body()).isEqualTo(201);
        assertThat(json(text.body()).get("chunks").asInt()).isEqualTo(1);
        assertThat(json(text.body()).get("tokens").asInt()).isPositive();
        HttpResponse<String> file = upload("garden", "roses.md", "# Roses\n\nPrune roses in late winter, above an outward bud.\n");
        assertThat(file.statusCode()).as(file.body()).isEqualTo(201);
        assertThat(json(file.body()).get(0).get("documentId").asString()).isEqualTo("roses.md");

        JsonNode listed = json(get("/api/documents?collection=garden").body());
        assertThat(values(listed, "id")).containsExactlyInAnyOrder("kiwi", "roses.md");
        assertThat(listed.get(0).get("chunks").asLong()).isEqualTo(1);

        HttpResponse<String> ask = post("/api/ask", """
                {"question": "How often should kiwi vines be watered?", "collection": "garden", "topK": 5,
                 "maxTokens": 4, "temperature": 0}""");
        assertThat(ask.statusCode()).as(ask.body()).isEqualTo(200);
        JsonNode a = json(ask.body());
        assertThat(a.get("answer").isString()).isTrue();
        assertThat(a.get("finishReason").asString()).isNotBlank();
        JsonNode citations = a.get("citations");
        assertThat(values(citations, "documentId")).contains("kiwi");
        JsonNode kiwi = citations.get(values(citations, "documentId").indexOf("kiwi"));
        assertThat(kiwi.get("title").asString()).isEqualTo("Kiwi vines");
        assertThat(kiwi.get("collection").asString()).isEqualTo("garden");
        assertThat(kiwi.get("label").asInt()).isBetween(1, citations.size());

        JsonNode context = a.get("context");
        assertThat(context.get("retrievedChunks").asInt()).isGreaterThanOrEqualTo(citations.size());
        assertThat(context.get("tokensUsed").asInt()).isPositive().isLessThanOrEqualTo(context.get("tokenBudget").asInt());
        assertThat(context.get("tokenBudget").asInt()).isLessThan(512 - 4);

        JsonNode usage = a.get("usage");
        assertThat(usage.get("promptTokens").asInt()).isGreaterThan(context.get("tokensUsed").asInt()).isLessThanOrEqualTo(512);
        assertThat(usage.get("completionTokens").asInt()).isBetween(1, 4);
        assertThat(usage.get("totalTokens").asInt())
                .isEqualTo(usage.get("promptTokens").asInt() + usage.get("completionTokens").asInt());
        JsonNode timings = a.get("timings");
        assertThat(timings.get("retrievalMs").asDouble()).isPositive();
        assertThat(timings.get("ttftMs").asDouble()).isPositive();
        assertThat(timings.get("prefillTokensPerSecond").asDouble()).isPositive();
        assertThat(timings.get("totalMs").asDouble()).isGreaterThanOrEqualTo(timings.get("ttftMs").asDouble());
        assertThat(a.at("/skip/skippedTokenRatio").asDouble()).isZero();
    }

    /** {@code [event, data]} pairs of a server-sent event stream. */
    private static List<String[]> events(List<String> lines) {
        List<String[]> out = new ArrayList<>();
        String event = null;
        StringBuilder data = null;
        for (String line : lines) {
            if (line.isEmpty()) {
                if (data != null) {
                    out.add(new String[] {event, data.toString()});
                }
                event = null;
                data = null;
            } else if (line.startsWith("event:")) {
                event = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                data = data == null ? new StringBuilder() : data.append('\n');
                data.append(line.substring(5));
            }
        }
        if (data != null) {
            out.add(new String[] {event, data.toString()});
        }
        return out;
    }

    private HttpRequest.Builder streamRequest(String body) {
        return request("/api/ask/stream").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    @Test
    void streamsTheSameAnswerAsTokenEventsThenADoneEvent() throws Exception {
        assertThat(post("/api/documents", """
                {"id": "plums", "title": "Plum trees", "collection": "stream",
                 "text": "Plum trees are pruned in summer to avoid silver leaf disease."}""").statusCode()).isEqualTo(201);
        String question = """
                {"question": "When are plum trees pruned?", "collection": "stream", "maxTokens": 8, "temperature": 0}""";
        String expected = json(post("/api/ask", question).body()).get("answer").asString();

        HttpResponse<java.util.stream.Stream<String>> response = http.send(streamRequest(question).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<String[]> events = events(response.body().toList());
        assertThat(events).isNotEmpty();
        List<String[]> tokens = events.subList(0, events.size() - 1);
        assertThat(tokens).isNotEmpty().allSatisfy(e -> assertThat(e[0]).isEqualTo("token"));
        String streamed = tokens.stream().map(e -> json(e[1]).get("text").asString())
                .collect(java.util.stream.Collectors.joining());
        assertThat(streamed).isEqualTo(expected);

        assertThat(events.getLast()[0]).isEqualTo("done");
        JsonNode done = json(events.getLast()[1]);
        assertThat(done.get("answer").asString()).isEqualTo(expected);
        assertThat(done.get("finishReason").asString()).isNotBlank();
        assertThat(values(done.get("citations"), "documentId")).contains("plums");
        JsonNode usage = done.get("usage");
        assertThat(usage.get("completionTokens").asInt()).isBetween(1, 8);
        assertThat(usage.get("totalTokens").asInt())
                .isEqualTo(usage.get("promptTokens").asInt() + usage.get("completionTokens").asInt());
        assertThat(done.at("/timings/ttftMs").asDouble()).isPositive();
        assertThat(done.at("/context/tokensUsed").asInt()).isPositive();
    }

    @Test
    void aStreamedQuestionIsValidatedBeforeStreaming() throws Exception {
        assertField(http.send(streamRequest("{\"question\": \"why?\", \"topK\": 0}").build(),
                HttpResponse.BodyHandlers.ofString()), "topK");
        HttpResponse<String> r = http.send(streamRequest("{\"question\": \"why?\", \"maxTokens\": 500}").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(json(r.body()).get("code").asString()).isEqualTo("context_length_exceeded");
    }

    @Test
    void aStreamClientThatHangsUpStopsTheGeneration() throws Exception {
        double cancelledBefore = cancelledRequests();
        HttpResponse<java.io.InputStream> response = http.send(streamRequest("""
                {"question": "Write a very long story about gardens.", "maxTokens": 200}""").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        try (java.io.BufferedReader reader = new java.io.BufferedReader(
                new java.io.InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo("event:token");
        } // closing the body drops the connection mid-stream
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> scheduler.activeRequests() == 0 && scheduler.queueDepth() == 0);
        assertThat(cancelledRequests()).isEqualTo(cancelledBefore + 1);
    }

    @Test
    void aClientThatHangsUpWhileWaitingForAnAnswerIsTakenOutOfTheQueue() throws Exception {
        assertAHangUpWhileWaitingCancelsTheRequest("/api/ask",
                "{\"question\": \"Write a very long story about gardens.\", \"maxTokens\": 200}");
    }

    @Test
    void theRequestsSkipBudgetReachesTheEngine() throws Exception {
        assertThat(post("/api/documents", """
                {"id": "figs", "collection": "skip", "text": "Fig trees fruit twice a year in warm climates."}""")
                .statusCode()).isEqualTo(201);
        HttpResponse<String> ask = post("/api/ask", """
                {"question": "When do fig trees fruit?", "collection": "skip", "maxTokens": 2,
                 "skip": {"mode": "SPTS", "startLayer": 1, "boundaries": [2], "stageBudgets": [8], "removalPerBoundary": 4}}""");
        assertThat(ask.statusCode()).as(ask.body()).isEqualTo(200);
        JsonNode skip = json(ask.body()).get("skip");
        assertThat(skip.at("/budget/mode").asString()).as(ask.body()).isEqualTo("SPTS");
        assertThat(skip.at("/budget/boundaries/0").asInt()).isEqualTo(2);
        assertThat(skip.get("effective").asBoolean()).isTrue();
        assertThat(skip.get("skippedTokenRatio").asDouble()).isPositive();
        assertThat(skip.get("attentionActive").size()).isEqualTo(3); // one per layer of the fixture
        assertThat(skip.get("kvBytesKept").asLong()).isPositive().isLessThan(skip.get("kvBytesFull").asLong());
    }

    @Test
    void aDeletedDocumentIsNoLongerListedOrCited() throws Exception {
        assertThat(post("/api/documents", """
                {"id": "quartz", "collection": "gone", "text": "Zyxquartz crystals glow faintly under blue light."}""")
                .statusCode()).isEqualTo(201);
        String question = """
                {"question": "What do zyxquartz crystals do?", "collection": "gone", "maxTokens": 2, "temperature": 0}""";
        assertThat(values(json(post("/api/ask", question).body()).get("citations"), "documentId")).containsExactly("quartz");

        assertThat(delete("/api/documents/quartz?collection=gone").statusCode()).isEqualTo(204);

        assertThat(json(get("/api/documents?collection=gone").body()).size()).isZero();
        JsonNode after = json(post("/api/ask", question).body());
        assertThat(after.get("citations").size()).isZero();
        assertThat(after.at("/context/retrievedChunks").asInt()).isZero();
        HttpResponse<String> again = delete("/api/documents/quartz?collection=gone");
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(json(again.body()).get("code").asString()).isEqualTo("document_not_found");
    }

    @Test
    void invalidInputIsA400NamingTheField() throws Exception {
        assertField(post("/api/ask", "{\"collection\": \"garden\"}"), "question");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"topK\": 0}"), "topK");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"temperature\": 3.5}"), "temperature");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"skip\": 7}"), "skip");
        // A budget's fields are named down to the element: by Jackson for types, by the engine for values.
        assertField(post("/api/ask", """
                {"question": "why?", "skip": {"mode": "SPTS", "startLayer": 1, "boundaries": [2], "stageBudgets": ["many"]}}"""),
                "skip.stageBudgets[0]");
        assertField(post("/api/ask", """
                {"question": "why?", "skip": {"mode": "SPTS", "startLayer": 1, "boundaries": [2, 3], "stageBudgets": [8, -8]}}"""),
                "skip.stageBudgets[1]");
        assertField(post("/api/ask", """
                {"question": "why?", "skip": {"mode": "SPTS", "startLayer": 9, "boundaries": [10], "stageBudgets": [8]}}"""),
                "skip.startLayer");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"skip\": {\"mode\": \"FASTER\"}}"), "skip.mode");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"skip\": {\"preset\": \"demo\", \"mode\": \"SPTS\"}}"),
                "skip");
        assertField(post("/api/ask", "{\"question\": \"why?\", \"collection\": \" \"}"), "collection");
        assertField(post("/api/documents", "{\"id\": \"empty\"}"), "text");
        assertThat(post("/api/ask", "{not json").statusCode()).isEqualTo(400);
    }

    private static void assertField(HttpResponse<String> response, String field) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(json(response.body()).get("field").asString()).isEqualTo(field);
    }

    @Test
    void aQuestionThatLeavesNoRoomForSourcesIsA400WithTheCounts() throws Exception {
        HttpResponse<String> r = post("/api/ask", "{\"question\": \"why?\", \"maxTokens\": 500}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode problem = json(r.body());
        assertThat(problem.get("code").asString()).isEqualTo("context_length_exceeded");
        assertThat(problem.get("contextLength").asInt()).isEqualTo(512);
    }

    @Test
    void anUnsupportedFileIsA415() throws Exception {
        HttpResponse<String> r = upload("garden", "table.xyz", "a,b\n1,2\n");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(415);
        JsonNode problem = json(r.body());
        assertThat(problem.get("code").asString()).isEqualTo("unsupported_document");
        assertThat(problem.get("detail").asString()).contains(".xyz");
        assertThat(json(get("/api/documents?collection=garden").body()).toString()).doesNotContain("table.xyz");
    }
}
