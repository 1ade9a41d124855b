package dev.sptsrag.service.web;

import dev.sptsrag.service.Fixtures;
import dev.sptsrag.service.SptsRagApplication;
import dev.sptsrag.service.TestEngines;
import io.micrometer.core.instrument.MeterRegistry;
import dev.sptsrag.service.ops.EngineScheduler;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole application on a random loopback port over the real engine (Llama fixture, context 256),
 * with a queue of one and an API key; every web test shares this one context.
 */
@AutoConfigureMockMvc
@SpringBootTest(classes = SptsRagApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "server.address=127.0.0.1",
                "spring.ai.spts.chat.backend=cpu",
                "spring.ai.spts.chat.threads=2",
                "spring.ai.spts.chat.context-length=256",
                "spring.ai.spts.chat.queue-size=1",
                "spring.ai.spts.chat.options.temperature=0",
                "spring.ai.spts.chat.options.max-tokens=16",
                "spts.rag.index-path=target/test-index",
                "spts.api.key=" + WebTestBase.KEY})
abstract class WebTestBase {
    static final String KEY = "test-key-123";
    static final String MODEL = Fixtures.LLAMA;
    static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("spring.ai.spts.chat.model-path", () -> Fixtures.model(Fixtures.LLAMA).toString());
    }

    @LocalServerPort
    int port;

    @Autowired
    EngineScheduler scheduler;

    @Autowired
    MeterRegistry meters;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void engineReady() throws InterruptedException {
        assertThat(scheduler.awaitReady(Duration.ofSeconds(60))).as("engine ready").isTrue();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY);
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return http.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    double cancelledRequests() {
        return meters.get("spts.engine.requests").tag("outcome", "cancelled").counter().count();
    }

    /**
     * A non-streaming request sent on a raw socket while the engine is held, so it waits in the queue; the
     * client hangs up; the queue must empty while the engine is still held. Nothing of the request's own
     * is written meanwhile, so only a server that watches the idle connection can notice.
     */
    void assertAHangUpWhileWaitingCancelsTheRequest(String path, String json) throws Exception {
        double cancelledBefore = cancelledRequests();
        TestEngines.Hold hold = new TestEngines.Hold();
        var running = scheduler.submit(TestEngines.request(scheduler, "running", 4), hold);
        hold.awaitHeld();
        try {
            postThenHangUpWhileQueued(path, json);
            await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.queueDepth() == 0);
            assertThat(scheduler.activeRequests()).as("only the held request runs").isEqualTo(1);
        } finally {
            hold.release();
            running.result().get();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.activeRequests() == 0);
        assertThat(cancelledRequests()).isEqualTo(cancelledBefore + 1);
    }

    /**
     * Posts {@code json} on a raw socket, waits until the request is in the engine's queue (the engine must
     * be held), and closes the connection without reading anything.
     */
    void postThenHangUpWhileQueued(String path, String json) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.queueDepth() == 1);
        }
    }

    static JsonNode json(String body) {
        return JSON.readTree(body);
    }
}
