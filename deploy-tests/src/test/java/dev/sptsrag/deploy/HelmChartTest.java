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
        assertThat(kinds(docs)).containsExactlyInAnyOrder("ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim",
                "Service", "Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy");

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

        // Settings go in through the ConfigMap, the (generated) key through the chart's Secret.
        Map<String, Object> cm = only(docs, "ConfigMap");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_MODEL_PATH").toString()).isEqualTo("/models/model.gguf");
        assertThat(at(cm, "data", "SPRING_AI_SPTS_CHAT_BACKEND").toString()).isEqualTo("cpu");
        assertThat(at(c, "envFrom", 0, "configMapRef", "name").toString()).isEqualTo("rag-spts-rag");
        assertThat(apiKeySecretRef(c)).isEqualTo("rag-spts-rag");

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
                .set("model.init.sha256", SHA256)
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

    }

    static final String SHA256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    /** The Secret the container's SPTS_API_KEY comes from, or null when it has none. */
    static String apiKeySecretRef(Map<String, Object> container) {
        List<Map<String, Object>> env = (List<Map<String, Object>>) container.get("env");
        if (env == null) {
            return null;
        }
        Map<String, Object> key = env.stream().filter(e -> "SPTS_API_KEY".equals(e.get("name"))).findFirst().orElseThrow();
        assertThat(at(key, "valueFrom", "secretKeyRef", "key").toString()).isEqualTo("api-key");
        return at(key, "valueFrom", "secretKeyRef", "name");
    }

    static String decodedKey(List<Map<String, Object>> docs) {
        return new String(java.util.Base64.getDecoder().decode(at(only(docs, "Secret"), "data", "api-key").toString()),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void withoutAKeyTheChartGeneratesOneUnlessTheApiIsDeclaredOpen() {
        // helm template has no cluster, so the lookup of an earlier Secret finds none: a fresh random key each time.
        String first = decodedKey(render(t -> t));
        String second = decodedKey(render(t -> t));
        assertThat(first).matches("[A-Za-z0-9]{40}");
        assertThat(second).matches("[A-Za-z0-9]{40}").isNotEqualTo(first);

        // A given value wins over generating.
        List<Map<String, Object>> value = render(t -> t.set("apiKey.value", "s3cret"));
        assertThat(decodedKey(value)).isEqualTo("s3cret");
        assertThat(apiKeySecretRef(container(only(value, "StatefulSet")))).isEqualTo("rag-spts-rag");

        // An existing Secret wins over both: the chart makes none.
        List<Map<String, Object>> existing = render(t -> t.set("apiKey.existingSecret", "mine").set("apiKey.value", "s3cret"));
        assertThat(kinds(existing)).doesNotContain("Secret");
        assertThat(apiKeySecretRef(container(only(existing, "StatefulSet")))).isEqualTo("mine");

        // Only an explicit required=false leaves the API open: no Secret, no SPTS_API_KEY.
        List<Map<String, Object>> open = render(t -> t.set("apiKey.required", "false"));
        assertThat(kinds(open)).doesNotContain("Secret");
        assertThat(apiKeySecretRef(container(only(open, "StatefulSet")))).isNull();
        // ... but a value still sets a key then.
        assertThat(decodedKey(render(t -> t.set("apiKey.required", "false").set("apiKey.value", "s3cret")))).isEqualTo("s3cret");
    }

    /** NOTES.txt as helm install prints it (a client-only dry run: no cluster). */
    static String notes(UnaryOperator<com.marcnuri.helm.InstallCommand> options) {
        return options.apply(new Helm(CHART).install().withName("rag").withNamespace("ai").withKubeVersion("1.33.0")
                .clientOnly().dryRun()).call().getOutput();
    }

    @Test
    void notesSayHowToReadAGeneratedKeyAndWarnWhenTheApiIsOpen() {
        assertThat(notes(t -> t)).contains("the chart generated one")
                .contains("kubectl -n ai get secret rag-spts-rag -o jsonpath='{.data.api-key}' | base64 -d")
                .contains("A NetworkPolicy admits clients to port 8080 only from networkPolicy.ingressFrom");
        assertThat(notes(t -> t.set("apiKey.existingSecret", "mine"))).doesNotContain("generated")
                .contains("get secret mine -o jsonpath='{.data.api-key}'");
        assertThat(notes(t -> t.set("apiKey.required", "false").set("networkPolicy.enabled", "false")))
                .contains("anyone who reaches the Service can use the API").contains("trusted network")
                .doesNotContain("NetworkPolicy admits");
    }

    @Test
    void networkPolicyAdmitsTheListedClientsToTheApiPortOnly() throws IOException {
        Map<String, Object> np = only(render(t -> t), "NetworkPolicy");
        assertThat(at(np, "metadata", "name").toString()).isEqualTo("rag-spts-rag");
        assertThat((Map<String, Object>) at(np, "spec", "podSelector", "matchLabels")).containsExactlyInAnyOrderEntriesOf(
                Map.of("app.kubernetes.io/name", "spts-rag", "app.kubernetes.io/instance", "rag"));
        assertThat((List<Object>) at(np, "spec", "policyTypes")).containsExactly("Ingress"); // egress open
        List<Map<String, Object>> ingress = at(np, "spec", "ingress");
        assertThat(ingress).hasSize(1);
        assertThat((List<Map<String, Object>>) at(ingress.getFirst(), "ports")).containsExactly(Map.of("port", 8080, "protocol", "TCP"));
        // by default the release's own namespace, every pod of it
        assertThat((List<Object>) at(ingress.getFirst(), "from")).containsExactly(Map.of("podSelector", Map.of()));
        assertThat(np).doesNotContainKey("egress");
        // the pods it selects are the StatefulSet's, and 8080 is their port
        Map<String, Object> c = container(only(render(t -> t), "StatefulSet"));
        assertThat(at(c, "ports", 0, "containerPort").equals(8080)).isTrue();

        Path values = tmp.resolve("np-values.yaml");
        Files.writeString(values, """
                networkPolicy:
                  ingressFrom:
                    - podSelector: {matchLabels: {app: web}}
                  metrics:
                    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
                  egress:
                    - to: [{namespaceSelector: {}}]
                """);
        Map<String, Object> custom = only(render(t -> t.withValuesFile(values)), "NetworkPolicy");
        assertThat((List<Object>) at(custom, "spec", "policyTypes")).containsExactly("Ingress", "Egress");
        assertThat((List<Object>) at(custom, "spec", "ingress", 0, "from")).containsExactly(
                Map.of("podSelector", Map.of("matchLabels", Map.of("app", "web"))),
                Map.of("namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring"))));
        assertThat((List<Object>) at(custom, "spec", "egress")).hasSize(1);

        // No clients listed: nothing is admitted (an empty rule list, not a missing one).
        Path none = tmp.resolve("np-none.yaml");
        Files.writeString(none, "networkPolicy:\n  ingressFrom: []\n");
        Map<String, Object> closed = only(render(t -> t.withValuesFile(none)), "NetworkPolicy");
        assertThat((List<Object>) at(closed, "spec", "ingress")).isEmpty();

        assertThat(kinds(render(t -> t.set("networkPolicy.enabled", "false")))).doesNotContain("NetworkPolicy");
    }

    @Test
    void aModelDownloadNeedsItsSha256AndTheInitContainerChecksIt() {
        assertThatThrownBy(() -> render(t -> t.set("model.init.enabled", "true")
                .set("model.init.url", "http://models.internal/m.gguf")))
                .hasMessageContaining("sha256");
        assertThatThrownBy(() -> render(t -> t.set("model.init.enabled", "true")
                .set("model.init.url", "http://models.internal/m.gguf").set("model.init.sha256", "abc")))
                .hasMessageContaining("sha256");

        Map<String, Object> sts = only(render(t -> t.set("model.init.enabled", "true")
                .set("model.init.url", "http://models.internal/m.gguf").set("model.init.sha256", SHA256)), "StatefulSet");
        Map<String, Object> init = at(sts, "spec", "template", "spec", "initContainers", 0);
        List<Map<String, Object>> env = at(init, "env");
        assertThat(env).contains(Map.of("name", "SHA256", "value", SHA256.toLowerCase(java.util.Locale.ROOT)));
        String script = at(init, "command", 2);
        // download to the temporary name, check, and only then rename into place
        int download = script.indexOf("curl -fL --retry 5 -o \"$TARGET.partial\"");
        int check = script.indexOf("sha256sum \"$TARGET.partial\"");
        int compare = script.indexOf("if [ \"$actual\" != \"$SHA256\" ]");
        int rename = script.indexOf("mv \"$TARGET.partial\" \"$TARGET\"");
        assertThat(download).isPositive();
        assertThat(check).isGreaterThan(download);
        assertThat(compare).isGreaterThan(check);
        assertThat(rename).isGreaterThan(compare);
        assertThat(script).contains("checksum mismatch");
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
