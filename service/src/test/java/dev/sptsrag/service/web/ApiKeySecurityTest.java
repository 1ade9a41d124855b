package dev.sptsrag.service.web;

import dev.sptsrag.service.rag.DocumentLibrary;
import dev.sptsrag.service.testing.RawHttp;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API key as an attacker tries to get around it, on every protected route: path encodings, matrix
 * parameters, double encoding, case variants, trailing and doubled slashes, dot segments, encoded
 * separators and method overrides. Each is sent to the real server over a socket (Tomcat's decoding of
 * the path is where the hole was) and through MockMvc. Without the key nothing may succeed or fail
 * with a server error, every refusal is a problem detail, and afterwards the canary document is still
 * there, nothing was added, and the engine ran nothing.
 */
class ApiKeySecurityTest extends WebTestBase {
    @Autowired
    MockMvc mvc;
    @Autowired
    DocumentLibrary library;
    @Autowired
    MeterRegistry meters;

    record Route(String method, String path, String contentType, String body) {
    }

    static final String BOUNDARY = "----spts-attack";
    static final List<Route> ROUTES = List.of(
            new Route("GET", "/api/documents", null, null),
            new Route("POST", "/api/documents", "application/json", "{\"id\": \"planted\", \"text\": \"planted text\"}"),
            new Route("POST", "/api/documents", "multipart/form-data; boundary=" + BOUNDARY, "--" + BOUNDARY
                    + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"planted.txt\"\r\n"
                    + "Content-Type: text/plain\r\n\r\nplanted text\r\n--" + BOUNDARY + "--\r\n"),
            new Route("DELETE", "/api/documents/canary", null, null),
            new Route("POST", "/api/ask", "application/json", "{\"question\": \"What is planted?\"}"),
            new Route("POST", "/api/ask/stream", "application/json", "{\"question\": \"What is planted?\"}"),
            new Route("POST", "/v1/chat/completions", "application/json",
                    "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}"),
            new Route("GET", "/v1/models", null, null),
            new Route("GET", "/v1/models/" + MODEL, null, null),
            new Route("GET", "/actuator/metrics", null, null),
            new Route("GET", "/actuator/metrics/spts.engine.requests", null, null));

    /** The same route written every way a server might read as the route. */
    static List<String> variants(String path) {
        int second = path.indexOf('/', 1);
        String first = path.substring(1, second); // "api", "v1", "actuator"
        String rest = path.substring(second);       // "/documents"
        List<String> v = new ArrayList<>();
        v.add(path);
        v.add("/%" + Integer.toHexString(first.charAt(0)) + first.substring(1) + rest);               // /%61pi
        v.add("/%" + Integer.toHexString(first.charAt(0)).toUpperCase() + first.substring(1) + rest); // /%61 as %61 upper hex
        StringBuilder all = new StringBuilder("/");
        first.chars().forEach(c -> all.append('%').append(Integer.toHexString(c)));
        v.add(all + rest);                                                                              // /%61%70%69
        v.add("/%25" + Integer.toHexString(first.charAt(0)) + first.substring(1) + rest);             // double encoding
        v.add("/" + first + ";x=1" + rest);                                                             // matrix parameter
        v.add("/" + first + ";" + rest);
        v.add(path + ";x=1");
        v.add("/" + first.toUpperCase() + rest);                                                        // case
        v.add("/" + Character.toUpperCase(first.charAt(0)) + first.substring(1) + rest);
        v.add(path + "/");                                                                              // trailing slash
        v.add("/" + path);                                                                              // //api
        v.add("/./" + first + rest);
        v.add("/x/../" + first + rest);
        v.add("/" + first + "/." + rest);
        v.add("/%2e/" + first + rest);
        v.add("/" + first + "%2F" + rest.substring(1));                                                 // encoded slash
        v.add("/" + first + "\\" + rest.substring(1));                                                  // backslash
        v.add("/actuator/health/../.." + path);                                                         // via a public path
        v.add("/actuator/health/..;/..;" + path);
        v.add("/actuator/health/%2e%2e/%2e%2e" + path);
        v.add("/v3/api-docs/../.." + path);
        v.add(path + "?x=/actuator/health");
        return v;
    }

    private final List<String> documentsBefore = new ArrayList<>();
    private double engineRequestsBefore;

    @BeforeEach
    void canary() throws Exception {
        library.addText("default", "canary", "Canary", "The canary must survive every attack.");
        documentsBefore.clear();
        library.list(null, 1000).forEach(d -> documentsBefore.add(d.collection() + "/" + d.id()));
        engineRequestsBefore = engineRequests();
    }

    private double engineRequests() {
        return meters.find("spts.engine.requests").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private void nothingHappened() {
        List<String> after = new ArrayList<>();
        library.list(null, 1000).forEach(d -> after.add(d.collection() + "/" + d.id()));
        assertThat(after).as("documents: the canary survives, nothing is planted").containsExactlyInAnyOrderElementsOf(documentsBefore);
        assertThat(engineRequests()).as("the engine ran nothing").isEqualTo(engineRequestsBefore);
    }

    private static Map<String, String> headers(Route r, String... more) {
        Map<String, String> h = new LinkedHashMap<>();
        if (r.contentType() != null) {
            h.put("Content-Type", r.contentType());
        }
        for (int i = 0; i < more.length; i += 2) {
            h.put(more[i], more[i + 1]);
        }
        return h;
    }

    private static byte[] body(Route r) {
        return r.body() == null ? null : r.body().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void noVariantOfAProtectedRouteGetsThroughWithoutTheKeyOnTheRealServer() throws Exception {
        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Route r : ROUTES) {
            for (String path : variants(r.path())) {
                for (String[] credentials : new String[][] {{}, {"Authorization", "Bearer wrong-" + KEY},
                        {"Authorization", "Basic " + KEY}, {"X-API-Key", ""}, {"Authorization", "Bearer"}}) {
                    RawHttp.Response res = RawHttp.send(port, r.method(), path, headers(r, credentials), body(r));
                    sent++;
                    String type = String.valueOf(res.header("content-type"));
                    if (res.status() < 400 || res.status() >= 500 || !type.startsWith("application/problem+json")
                            || !res.body().contains("\"code\"")) {
                        failures.add(r.method() + " " + path + " " + String.join(" ", credentials) + " -> " + res.status()
                                + " " + type + " " + res.body());
                    }
                }
            }
        }
        assertThat(failures).as("of " + sent + " requests").isEmpty();
        nothingHappened();
    }

    @Test
    void theBypassesOnceFoundAreNow401() throws Exception {
        Route upload = ROUTES.get(2);
        for (Object[] c : new Object[][] {
                {"GET", "/%61pi/documents", null}, {"GET", "/api;x=1/documents", null},
                {"POST", "/v1;x/chat/completions", ROUTES.get(6)}, {"DELETE", "/%61pi/documents/canary", null},
                {"POST", "/api;a/documents", upload}}) {
            Route r = c[2] != null ? (Route) c[2] : new Route((String) c[0], (String) c[1], null, null);
            RawHttp.Response res = RawHttp.send(port, (String) c[0], (String) c[1], headers(r), body(r));
            assertThat(res.status()).as(c[0] + " " + c[1] + ": " + res.body()).isEqualTo(401);
            assertThat(res.header("www-authenticate")).isEqualTo("Bearer");
            assertThat(res.body()).contains("\"code\":\"invalid_api_key\"");
        }
        nothingHappened();
    }

    @Test
    void withTheKeyTheRoutesWorkAndMalformedPathsAreRefusedWithTheReason() throws Exception {
        RawHttp.Response ok = RawHttp.send(port, "GET", "/api/documents", Map.of("Authorization", "bearer " + KEY), null);
        assertThat(ok.status()).as("the scheme is case-insensitive").isEqualTo(200);
        assertThat(RawHttp.send(port, "GET", "/v1/models", Map.of("X-API-Key", KEY), null).status()).isEqualTo(200);
        RawHttp.Response matrix = RawHttp.send(port, "GET", "/api;x=1/documents", Map.of("Authorization", "Bearer " + KEY), null);
        assertThat(matrix.status()).isEqualTo(400);
        assertThat(matrix.body()).contains("\"code\":\"invalid_request_path\"");
        RawHttp.Response slash = RawHttp.send(port, "GET", "/api%2Fdocuments", Map.of("Authorization", "Bearer " + KEY), null);
        assertThat(slash.status()).isEqualTo(400);
        assertThat(slash.header("content-type")).startsWith("application/problem+json"); // Tomcat's own refusal, as JSON
        RawHttp.Response both = RawHttp.send(port, "GET", "/v1/models",
                Map.of("Authorization", "Bearer " + KEY, "X-API-Key", "other"), null);
        assertThat(both.status()).as("two different keys are not guessed between").isEqualTo(401);
    }

    @Test
    void methodOverridesAreNotHonoured() throws Exception {
        for (String[] h : new String[][] {{"X-HTTP-Method-Override", "DELETE"}, {"X-HTTP-Method", "DELETE"},
                {"X-Method-Override", "DELETE"}}) {
            RawHttp.Response res = RawHttp.send(port, "POST", "/api/documents/canary",
                    Map.of(h[0], h[1], "Authorization", "Bearer " + KEY), new byte[0]);
            assertThat(res.status()).as(h[0]).isEqualTo(405);
        }
        RawHttp.Response form = RawHttp.send(port, "POST", "/api/documents/canary?_method=DELETE",
                Map.of("Authorization", "Bearer " + KEY, "Content-Type", "application/x-www-form-urlencoded"),
                "_method=DELETE".getBytes(StandardCharsets.UTF_8));
        assertThat(form.status()).isEqualTo(405);
        nothingHappened();
    }

    @Test
    void aPageOnAnotherSiteCanNeitherPostNorReadEvenWithAKeyInTheRequest() throws Exception {
        Route upload = ROUTES.get(2);
        for (String origin : new String[] {"http://evil.example", "null", "http://127.0.0.1.evil.example"}) {
            RawHttp.Response post = RawHttp.send(port, "POST", "/api/documents",
                    headers(upload, "Origin", origin, "Authorization", "Bearer " + KEY), body(upload));
            assertThat(post.status()).as(origin + ": " + post.body()).isEqualTo(403);
            assertThat(post.body()).contains("\"code\":\"origin_not_allowed\"");
            RawHttp.Response preflight = RawHttp.send(port, "OPTIONS", "/v1/chat/completions",
                    Map.of("Origin", origin, "Access-Control-Request-Method", "POST",
                            "Access-Control-Request-Headers", "authorization,content-type"), null);
            assertThat(preflight.status()).isEqualTo(403);
            assertThat(preflight.header("access-control-allow-origin")).isNull();
        }
        nothingHappened();
        RawHttp.Response sameOrigin = RawHttp.send(port, "GET", "/api/documents",
                Map.of("Origin", "http://127.0.0.1:" + port, "Authorization", "Bearer " + KEY), null);
        assertThat(sameOrigin.status()).as("the service's own origin is not cross-site").isEqualTo(200);
    }

    @Test
    void noVariantGetsThroughMockMvcEither() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Route r : ROUTES) {
            for (String path : variants(r.path())) {
                if (path.contains("\\")) {
                    continue; // not a URI MockMvc can build; the socket test sends it
                }
                var request = MockMvcRequestBuilders.request(HttpMethod.valueOf(r.method()), URI.create(path));
                if (r.body() != null) {
                    request.contentType(r.contentType()).content(r.body());
                }
                MockHttpServletResponse res = mvc.perform(request).andReturn().getResponse();
                if (res.getStatus() < 400 || res.getStatus() >= 500) {
                    failures.add(r.method() + " " + path + " -> " + res.getStatus() + " " + res.getContentAsString());
                }
            }
        }
        assertThat(failures).isEmpty();
        nothingHappened();
    }
}
