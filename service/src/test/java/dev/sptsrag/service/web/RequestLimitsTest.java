package dev.sptsrag.service.web;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one client can cost the others: oversized requests are refused before they are read, so the
 * probes stay fast while they arrive, and a body sent without a length is cut at the limit.
 */
class RequestLimitsTest extends WebTestBase {
    /** A request that declares a body of {@code declared} bytes and then sends it slowly, 64 KiB at a time. */
    private int oversized(String path, String contentType, long declared) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + declared + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            try {
                for (int i = 0; i < 64; i++) { // at most 4 MiB: the server answers long before
                    out.write(chunk);
                }
            } catch (java.io.IOException closed) {
                // the server refused and closed: expected
            }
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1); // "HTTP/1.1 413"
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    @Test
    void livenessStaysFastWhileEightOversizedRequestsAreRefused() throws Exception {
        List<Future<Integer>> refused = new ArrayList<>();
        List<Long> probeMillis = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                boolean upload = i % 2 == 0;
                refused.add(pool.submit(() -> upload
                        ? oversized("/api/documents", "multipart/form-data; boundary=x", 300L * 1024 * 1024)
                        : oversized("/v1/chat/completions", "application/json", 50L * 1024 * 1024)));
            }
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                HttpResponse<String> live = http.send(HttpRequest.newBuilder(uri("/actuator/health/liveness"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                probeMillis.add((System.nanoTime() - start) / 1_000_000);
                assertThat(live.statusCode()).isEqualTo(200);
            }
            for (Future<Integer> f : refused) {
                assertThat(f.get()).isEqualTo(413);
            }
        }
        assertThat(probeMillis).as("liveness probe times (ms)").allMatch(ms -> ms < 1000);
    }

    @Test
    void aBodyWithoutALengthIsCutAtTheLimit() throws Exception {
        HttpResponse<String> r = http.send(request("/v1/chat/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
                        new java.io.ByteArrayInputStream("{\"messages\": [{\"role\": \"user\", \"content\": \"".getBytes()),
                        new java.io.ByteArrayInputStream("x".repeat(5 * 1024 * 1024).getBytes()))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(json(r.body()).get("code").asString()).isEqualTo("request_too_large");
    }

}
