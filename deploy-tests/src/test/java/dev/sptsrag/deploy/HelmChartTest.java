package dev.sptsrag.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * helm/spts-rag through Helm itself (helm-java bundles Helm as a native library): {@code helm lint} and
 * {@code helm template} for the default values and for values-gpu.yaml, the rendered manifests parsed and
 * checked, and values that break values.schema.json refused.
 */
@SuppressWarnings("unchecked") // rendered YAML is maps and lists of Object
class HelmChartTest {
    static final Path CHART = Repository.root().resolve("helm/spts-rag");
    static final Path GPU_VALUES = CHART.resolve("values-gpu.yaml");

    @TempDir
    Path tmp;

    /** The rendered manifests of a template command, one map per document. */
    static List<Map<String, Object>> render(UnaryOperator<TemplateCommand> options) {
        String out = options.apply(new Helm(CHART).template().withName("rag").withNamespace("ai")
                // helm template assumes Kubernetes 1.20 without a cluster; the chart needs 1.25 or newer.
                .withKubeVersion("1.33.0")).call();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(out)) {
            if (doc != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) doc;
                docs.add(m);
            }
        }
        return docs;
    }

    static List<String> kinds(List<Map<String, Object>> docs) {
        return docs.stream().map(d -> (String) d.get("kind")).toList();
    }

    static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> of = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertThat(of).as(kind).hasSize(1);
        return of.getFirst();
    }

    /** A value at a path of map keys and list indexes, e.g. {@code at(sts, "spec", "template", "spec")}. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object node, Object... path) {
        Object n = node;
        for (Object p : path) {
            assertThat(n).as("parent of " + p).isNotNull();
            n = p instanceof Integer i ? ((List<Object>) n).get(i) : ((Map<String, Object>) n).get(p);
        }
        return (T) n;
    }

    static Map<String, Object> container(Map<String, Object> sts) {
        List<Map<String, Object>> containers = at(sts, "spec", "template", "spec", "containers");
        assertThat(containers).hasSize(1);
        return containers.getFirst();
    }

    @Test
    void lintsCleanWithTheDefaultValues() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void lintsCleanWithTheGpuValues() throws IOException {
        // helm-java's lint takes no values file, so lint a copy whose values.yaml is the defaults with the
        // GPU file laid over them (what `helm lint -f values-gpu.yaml` checks).
        Path copy = tmp.resolve("spts-rag");
        copyTree(CHART, copy);
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Map<String, Object> merged = merge(yaml.load(Files.readString(CHART.resolve("values.yaml"))),
                yaml.load(Files.readString(GPU_VALUES)));
        Files.writeString(copy.resolve("values.yaml"), yaml.dump(merged));
        LintResult lint = new Helm(copy).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void defaultValuesRenderACpuStatefulSetWithProbesVolumesAndALockedDownPod() {
        List<Map<String, Object>> docs = render(t -> t);
        assertThat(kinds(docs)).containsExactlyInAnyOrder("ServiceAccount", "ConfigMap", "PersistentVolumeClaim",
                "Service", "Service", "StatefulSet", "PodDisruptionBudget");

        Map<String, Object> sts = only(docs, "StatefulSet");
        assertThat(at(sts, "metadata", "name").toString()).isEqualTo("rag-spts-rag");
        assertThat((Integer) at(sts, "spec", "replicas")).isEqualTo(1);
        assertThat(at(sts, "spec", "serviceName").toString()).isEqualTo("rag-spts-rag-headless");
        Map<String, Object> c = container(sts);
        assertThat(c.get("image")).isEqualTo("spts-rag:cpu");

        // Probes on the actuator; the startup probe allows a model load of minutes.
        assertThat(at(c, "startupProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/readiness");
        assertThat(at(c, "readinessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/readiness");
        assertThat(at(c, "livenessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/liveness");
        int startupSeconds = (Integer) at(c, "startupProbe", "periodSeconds") * (Integer) at(c, "startupProbe", "failureThreshold");
        assertThat(startupSeconds).isGreaterThanOrEqualTo(300);

        // No GPU asked for by default; memory requests and limits are there.
        Map<String, Object> limits = at(c, "resources", "limits");
        assertThat(limits).doesNotContainKey("nvidia.com/gpu").containsKey("memory");
        assertThat((Map<String, Object>) at(c, "resources", "requests")).containsKeys("cpu", "memory");

        // Security: non-root, read-only root, no privileges.
        Map<String, Object> pod = at(sts, "spec", "template", "spec");
        assertThat(at(pod, "securityContext", "runAsNonRoot").equals(true)).isTrue();
        assertThat((Integer) at(pod, "securityContext", "runAsUser")).isEqualTo(10001);
        assertThat((Integer) at(pod, "securityContext", "fsGroup")).isEqualTo(10001);
        assertThat(at(c, "securityContext", "readOnlyRootFilesystem").equals(true)).isTrue();
        assertThat(at(c, "securityContext", "allowPrivilegeEscalation").equals(false)).isTrue();
        assertThat((List<Object>) at(c, "securityContext", "capabilities", "drop")).containsExactly("ALL");
        assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);

        // Volumes: models read-only from the shared claim, the index on the replica's own claim, /tmp.
        List<Map<String, Object>> mounts = at(c, "volumeMounts");
        assertThat(mounts).extracting(m -> m.get("name") + ":" + m.get("mountPath") + ":" + m.getOrDefault("readOnly", false))
                .containsExactlyInAnyOrder("models:/models:true", "data:/data:false", "tmp:/tmp:false");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        Map<String, Object> models = volumes.stream().filter(v -> "models".equals(v.get("name"))).findFirst().orElseThrow();
        assertThat(at(models, "persistentVolumeClaim", "claimName").toString()).isEqualTo("rag-spts-rag-models");
        assertThat(at(only(docs, "PersistentVolumeClaim"), "metadata", "name").toString()).isEqualTo("rag-spts-rag-models");
        List<Map<String, Object>> claims = at(sts, "spec", "volumeClaimTemplates");
        assertThat(claims).extracting(t -> at(t, "metadata", "name").toString()).containsExactly("data");
        assertThat(pod).doesNotContainKey("initContainers");

        // Settings go in through the ConfigMap; no key, so no Secret and no SPTS_API_KEY.
        Map<String, Object> cm = only(docs, "ConfigMap");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_MODEL_PATH").toString()).isEqualTo("/models/model.gguf");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_BACKEND").toString()).isEqualTo("cpu");
        assertThat(at(c, "envFrom", 0, "configMapRef", "name").toString()).isEqualTo("rag-spts-rag");
        assertThat(c).doesNotContainKey("env");

        assertThat(at(only(docs, "PodDisruptionBudget"), "spec", "maxUnavailable").equals(1)).isTrue();
        List<Map<String, Object>> services = docs.stream().filter(d -> "Service".equals(d.get("kind"))).toList();
        assertThat(services).extracting(s -> at(s, "spec", "ports", 0, "targetPort").toString()).containsOnly("http");
        assertThat(services).extracting(s -> java.util.Objects.toString(at(s, "spec", "clusterIP"))).contains("None");
    }

    @Test
    void gpuValuesRequestAGpuOnGpuNodes() {
        List<Map<String, Object>> docs = render(t -> t.withValuesFile(GPU_VALUES));
        Map<String, Object> sts = only(docs, "StatefulSet");
        Map<String, Object> c = container(sts);
        Map<String, Object> pod = at(sts, "spec", "template", "spec");

        assertThat(c.get("image")).isEqualTo("spts-rag:cuda");
        assertThat(at(c, "resources", "limits", "nvidia.com/gpu").equals(1)).isTrue();
        assertThat(at(c, "resources", "limits", "memory").toString()).isEqualTo("32Gi");
        assertThat((Map<String, Object>) pod.get("nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        List<Map<String, Object>> tolerations = at(pod, "tolerations");
        assertThat(tolerations).anySatisfy(t -> {
            assertThat(t.get("key")).isEqualTo("nvidia.com/gpu");
            assertThat(t.get("effect")).isEqualTo("NoSchedule");
        });
        Map<String, Object> cm = only(docs, "ConfigMap");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_BACKEND").toString()).isEqualTo("cuda");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_MODEL_PATH").toString())
                .isEqualTo("/models/Llama-3.1-8B-Instruct-Q8_0.gguf");
        int startupSeconds = (Integer) at(c, "startupProbe", "periodSeconds") * (Integer) at(c, "startupProbe", "failureThreshold");
        assertThat(startupSeconds).isGreaterThanOrEqualTo(900);
        // The GPU file changes what runs where, never the pod's security.
        assertThat(at(c, "securityContext", "readOnlyRootFilesystem").equals(true)).isTrue();
    }

    @Test
    void apiKeyModelInitServiceMonitorAndReplicasAreOptIn() {
        List<Map<String, Object>> docs = render(t -> t
                .set("apiKey.value", "s3cret")
                .set("model.init.enabled", "true")
                .set("model.init.url", "http://models.internal/m.gguf")
                .set("metrics.serviceMonitor.enabled", "true")
                .set("replicaCount", "3"));
        assertThat(kinds(docs)).contains("Secret", "ServiceMonitor");
        Map<String, Object> secret = only(docs, "Secret");
        assertThat(at(secret, "data", "api-key").toString()).isEqualTo("czNjcmV0");

        Map<String, Object> sts = only(docs, "StatefulSet");
        assertThat((Integer) at(sts, "spec", "replicas")).isEqualTo(3);
        Map<String, Object> c = container(sts);
        assertThat(at(c, "env", 0, "name").toString()).isEqualTo("SPTS_API_KEY");
        assertThat(at(c, "env", 0, "valueFrom", "secretKeyRef", "name").toString()).isEqualTo("rag-spts-rag");

        Map<String, Object> init = at(sts, "spec", "template", "spec", "initContainers", 0);
        assertThat(init.get("name")).isEqualTo("place-model");
        List<Map<String, Object>> initMounts = at(init, "volumeMounts");
        assertThat(initMounts).anySatisfy(m -> {
            assertThat(m.get("mountPath")).isEqualTo("/models");
            assertThat(m.getOrDefault("readOnly", false)).isEqualTo(false);
        });
        assertThat(at(init, "securityContext", "readOnlyRootFilesystem").equals(true)).isTrue();

        Map<String, Object> monitor = only(docs, "ServiceMonitor");
        assertThat(at(monitor, "spec", "endpoints", 0, "path").toString()).isEqualTo("/actuator/prometheus");
        assertThat((Map<String, Object>) at(monitor, "spec", "selector", "matchLabels"))
                .containsEntry("app.kubernetes.io/component", "api");

        // An existing Secret replaces the chart's own.
        List<Map<String, Object>> existing = render(t -> t.set("apiKey.existingSecret", "mine"));
        assertThat(kinds(existing)).doesNotContain("Secret");
        assertThat(at(container(only(existing, "StatefulSet")), "env", 0, "valueFrom", "secretKeyRef", "name").toString())
                .isEqualTo("mine");
    }

    @Test
    void valuesThatBreakTheSchemaAreRefused() throws IOException {
        Path bad = tmp.resolve("bad-values.yaml");
        Files.writeString(bad, """
                engine:
                  backend: tpu
                replicaCount: two
                """);
        assertThatThrownBy(() -> render(t -> t.withValuesFile(bad)))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("backend")
                .hasMessageContaining("replicaCount");

        // A misspelt key is an error too, not a silently ignored setting.
        Path typo = tmp.resolve("typo-values.yaml");
        Files.writeString(typo, "gpus:\n  enabled: true\n");
        assertThatThrownBy(() -> render(t -> t.withValuesFile(typo))).hasMessageContaining("gpus");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> out.merge(k, v, (a, b) -> a instanceof Map && b instanceof Map
                ? merge((Map<String, Object>) a, (Map<String, Object>) b) : b));
        return out;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
