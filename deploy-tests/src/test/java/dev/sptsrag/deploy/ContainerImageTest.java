package dev.sptsrag.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CPU image built from docker/Dockerfile, started as a user starts it (read-only root filesystem,
 * an API key), and the user's path over HTTP: the image's own healthcheck turns healthy, then a document
 * is ingested and a question about it is answered with a citation of it.
 *
 * <p>The model is the engine's Llama fixture baked in through the Dockerfile's {@code MODEL_SOURCE} and
 * {@code MODEL_PATH} build arguments (random weights: the answer text is gibberish, its citations are not).
 * Base images: {@code SPTS_BASE_IMAGE} names a local image for all of them (.ci/run builds one with
 * docker/build-base-image.sh, since no registry can be reached there); unset, the Dockerfile's defaults
 * are pulled. Without a Docker engine the test is skipped, unless {@code SPTS_REQUIRE_DOCKER=true}
 * (set by .ci/run), where that is a failure.
 */
class ContainerImageTest {
    static final String KEY = "container-test-key";
    static final String FIXTURE = "inference-tornado/src/test/resources/parity/llama-gqa-rope3";
    static final JsonMapper JSON = JsonMapper.builder().build();

    static GenericContainer<?> container;
    static String imageName;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    @SuppressWarnings("deprecation") // withDockerfilePath names the Dockerfile inside the context assembled below
    static void start() {
        boolean docker = dockerAvailable();
        if (!docker && "true".equals(System.getenv("SPTS_REQUIRE_DOCKER"))) {
            throw new IllegalStateException("SPTS_REQUIRE_DOCKER=true but no Docker engine answers (is dockerd running?)");
        }
        String skipped = "no Docker engine answers: the container image test is skipped "
                + "(start dockerd, or see .ci/run, which installs and starts it)";
        if (!docker) {
            System.out.println("ContainerImageTest: " + skipped); // in the build log, not only in the report
        }
        Assumptions.assumeTrue(docker, skipped);

        Path root = Repository.root();
        Path jar = root.resolve("service/target/spts-rag.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (./mvnw -B -DskipTests package)");
        }
        // Only what the Dockerfile copies goes into the build context, not the whole working tree. The
        // image is removed in stop(): without Ryuk nothing else would.
        imageName = "spts-rag-test:" + System.nanoTime();
        ImageFromDockerfile image = new ImageFromDockerfile(imageName, false)
                .withFileFromPath("docker/Dockerfile", root.resolve("docker/Dockerfile"))
                .withFileFromPath("docker/entrypoint.sh", root.resolve("docker/entrypoint.sh"))
                .withFileFromPath("docker/healthcheck.sh", root.resolve("docker/healthcheck.sh"))
                .withFileFromPath("docker/bundled-model", root.resolve("docker/bundled-model"))
                .withFileFromPath("service/target/spts-rag.jar", jar)
                .withFileFromPath(FIXTURE, root.resolve(FIXTURE))
                .withDockerfilePath("docker/Dockerfile")
                .withTarget("cpu")
                .withBuildArg("MODEL_SOURCE", FIXTURE)
                .withBuildArg("MODEL_PATH", "/opt/spts-rag/model");
        String base = System.getenv("SPTS_BASE_IMAGE");
        if (base != null && !base.isBlank()) {
            image.withBuildArg("JRE_IMAGE", base).withBuildArg("JDK_IMAGE", base).withBuildArg("CUDA_IMAGE", base);
        }

        container = new GenericContainer<>(image)
                .withExposedPorts(8080)
                .withEnv("SPTS_API_KEY", KEY)
                .withEnv("SPRING_AI_SPTS_CHAT_CONTEXT_LENGTH", "512")
                // As compose and the chart run it: nothing but /data (a volume) and /tmp is writable.
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true))
                .withTmpFs(Map.of("/tmp", "rw,size=64m"))
                .withLogConsumer(new Slf4jLogConsumer(org.slf4j.LoggerFactory.getLogger("spts-rag-container")))
                // The image's HEALTHCHECK (actuator readiness: the model has loaded) decides when it is up.
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(5)));
        container.start();
    }

    @AfterAll
    static void stop() {
        if (container != null) {
            container.stop();
        }
        if (imageName != null) {
            try {
                DockerClientFactory.instance().client().removeImageCmd(imageName).withForce(true).exec();
            } catch (RuntimeException e) {
                // never built (the build failed): nothing to remove
            }
        }
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    static URI uri(String path) {
        return URI.create("http://" + container.getHost() + ":" + container.getMappedPort(8080) + path);
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    @Test
    void runsTheUsersPathOverHttp() throws Exception {
        // Health: the probes Kubernetes uses, open without the key (status only); details with the key.
        HttpResponse<String> open = send(HttpRequest.newBuilder(uri("/actuator/health/readiness")));
        assertThat(open.statusCode()).as(open.body()).isEqualTo(200);
        assertThat(open.body()).doesNotContain("details");
        HttpResponse<String> readiness = send(HttpRequest.newBuilder(uri("/actuator/health/readiness"))
                .header("Authorization", "Bearer " + KEY));
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        JsonNode engine = JSON.readTree(readiness.body()).at("/components/engine/details");
        assertThat(engine.get("state").asString()).isEqualTo("ready");
        assertThat(engine.get("backend").asString()).startsWith("CPU");
        assertThat(send(HttpRequest.newBuilder(uri("/actuator/health/liveness"))).statusCode()).isEqualTo(200);

        // The API wants the key.
        assertThat(send(HttpRequest.newBuilder(uri("/v1/models"))).statusCode()).isEqualTo(401);

        // Ingest a document: committed to the index on the /data volume before the answer.
        HttpResponse<String> ingest = post("/api/documents", """
                {"id": "kiwi", "title": "Kiwi vines", "collection": "garden",
                 "text": "Kiwi vines need a strong trellis. Water kiwi vines deeply once a week in summer."}""");
        assertThat(ingest.statusCode()).as(ingest.body()).isEqualTo(201);
        assertThat(JSON.readTree(ingest.body()).get("chunks").asInt()).isEqualTo(1);

        // Ask: an answer that cites the document.
        HttpResponse<String> ask = post("/api/ask", """
                {"question": "How often should kiwi vines be watered?", "collection": "garden",
                 "maxTokens": 4, "temperature": 0}""");
        assertThat(ask.statusCode()).as(ask.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(ask.body());
        assertThat(answer.get("answer").isString()).isTrue();
        assertThat(answer.at("/usage/completionTokens").asInt()).isBetween(1, 4);
        List<String> cited = new ArrayList<>();
        answer.get("citations").forEach(c -> cited.add(c.get("documentId").asString()));
        assertThat(cited).contains("kiwi");
        assertThat(answer.get("citations").get(0).get("title").asString()).isEqualTo("Kiwi vines");
        assertThat(answer.get("citations").get(0).get("label").asInt()).isEqualTo(1);
    }
}
