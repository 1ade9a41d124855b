package dev.sptsrag.service;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar carries Spring Boot's configuration metadata (an IDE completes and documents {@code spts.*} and
 * {@code spring.ai.spts.*}): every property has a description, and the settings with a default say it.
 */
class ConfigurationMetadataTest {

    @Test
    void everyPropertyIsDescribedAndTheEngineSettingsCarryTheirDefaults() throws Exception {
        Map<String, JsonNode> properties = new TreeMap<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("META-INF/spring-configuration-metadata.json generated at build time").isNotNull();
            for (JsonNode p : JsonMapper.builder().build().readTree(in).get("properties")) {
                properties.put(p.get("name").asString(), p);
            }
        }
        List<String> undescribed = new ArrayList<>();
        properties.forEach((name, p) -> {
            if ((name.startsWith("spts.") || name.startsWith("spring.ai.spts."))
                    && (!p.hasNonNull("description") || p.get("description").asString().isBlank())) {
                undescribed.add(name);
            }
        });
        assertThat(undescribed).as("properties without a description").isEmpty();
        assertThat(properties).containsKeys("spring.ai.spts.chat.model-path", "spring.ai.spts.chat.options.skip",
                "spts.api.key", "spts.rag.top-k", "spts.data-dir");
        assertThat(properties.get("spring.ai.spts.chat.max-sequences").get("defaultValue").asInt()).isEqualTo(8);
        assertThat(properties.get("spring.ai.spts.chat.queue-size").get("defaultValue").asInt()).isEqualTo(16);
        assertThat(properties.get("spring.ai.spts.chat.prefix-cache").get("defaultValue").asBoolean()).isTrue();
        assertThat(properties.get("spts.data-dir").get("defaultValue").asString()).isEqualTo("data");
    }
}
