package dev.sptsrag.service.web;

import dev.sptsrag.service.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every request of the committed corpus of client mistakes ({@code bad-requests/corpus.jsonl}, written by
 * tools/fixtures/make_bad_requests.py: wrong types, values out of range, integers beyond int, malformed
 * JSON and multipart, bad names, wrong methods and media types, encoded paths) is sent to the real server
 * with the key. Each must be answered with its 4xx (the exact status where the corpus names one) as a
 * problem detail with a {@code code}, and the field at fault where the corpus names one; never a 5xx.
 * Afterwards nothing of it is in the index.
 */
@DirtiesContext // its own index folder
class BadRequestCorpusTest extends WebTestBase {
    @TempDir
    static Path indexDir;

    @DynamicPropertySource
    static void index(DynamicPropertyRegistry registry) {
        registry.add("spts.rag.index-path", () -> indexDir.toString());
    }

    @Autowired
    dev.sptsrag.service.rag.DocumentLibrary library;

    static List<JsonNode> corpus() throws IOException {
        try (InputStream in = BadRequestCorpusTest.class.getResourceAsStream("/bad-requests/corpus.jsonl")) {
            assertThat(in).as("the corpus is on the test class path").isNotNull();
            List<JsonNode> cases = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    cases.add(JSON.readTree(line));
                }
            }
            return cases;
        }
    }

    @Test
    void everyClientMistakeIsA4xxProblemDetailNamingTheField() throws Exception {
        List<JsonNode> cases = corpus();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(200);
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Authorization", "Bearer " + KEY);
            if (c.has("headers")) {
                c.get("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asString()));
            }
            byte[] body = null;
            if (c.has("bodyBase64")) {
                body = Base64.getDecoder().decode(c.get("bodyBase64").asString());
            } else if (c.has("body")) {
                String text = c.get("body").asString();
                if (c.has("pad")) {
                    text = text.replace("{PAD}", "x".repeat(c.get("pad").asInt()));
                }
                body = text.getBytes(StandardCharsets.UTF_8);
            }
            RawHttp.Response r = RawHttp.send(port, c.get("method").asString(), c.get("path").asString(), headers, body);
            String name = c.get("name").asString();
            String expected = c.has("status") ? c.get("status").asString() : "4xx";
            boolean statusOk = expected.equals("4xx") ? r.status() >= 400 && r.status() < 500
                    : r.status() == Integer.parseInt(expected);
            JsonNode problem = null;
            try {
                problem = JSON.readTree(r.body());
            } catch (RuntimeException e) {
                // not JSON: reported below
            }
            boolean shapeOk = String.valueOf(r.header("content-type")).startsWith("application/problem+json")
                    && problem != null && problem.path("code").isString() && problem.path("status").asInt() == r.status();
            boolean fieldOk = !c.has("field") || (problem != null && c.get("field").asString().equals(problem.path("field").asString()));
            if (!statusOk || !shapeOk || !fieldOk) {
                failures.add(name + ": expected " + expected + (c.has("field") ? " field " + c.get("field").asString() : "")
                        + ", got " + r.status() + " " + r.header("content-type") + " " + abbreviate(r.body()));
            }
        }
        assertThat(failures).as(failures.size() + " of " + cases.size() + " cases").isEmpty();
        assertThat(library.list(null, 100)).as("nothing of a refused request was stored").isEmpty();
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
