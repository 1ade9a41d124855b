package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.json.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The real models' templates render every fixture conversation exactly as transformers did. */
class ChatTemplateConformanceTest {

    static ChatTemplate template(String name) {
        Path dir = TokenizerFixtures.TOKENIZERS.resolve(name);
        Map<String, Object> config = Json.parseObject(dir.resolve("tokenizer_config.json"));
        return ChatTemplate.of((String) config.get("chat_template"), (String) config.get("bos_token"),
                (String) config.get("eos_token"));
    }

    @SuppressWarnings("unchecked")
    static List<ChatMessage> messages(Object json) {
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : (List<Object>) json) {
            Map<String, Object> m = (Map<String, Object>) o;
            out.add(new ChatMessage((String) m.get("role"), (String) m.get("content")));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3_1", "qwen3"})
    void rendersEveryFixtureConversationLikeTransformers(String name) {
        ChatTemplate t = template(name);
        List<Map<String, Object>> rows = TokenizerFixtures.jsonLines(TokenizerFixtures.TOKENIZERS.resolve(name).resolve("chat-templates.jsonl"));
        // 14 conversations for every template, and more (with template variables) for the ones that read them.
        assertTrue(rows.size() >= 14, rows.size() + " rows");
        List<String> failures = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = (Map<String, Object>) row.getOrDefault("template_kwargs", Map.of());
            String actual = t.render(messages(row.get("messages")), (Boolean) row.get("add_generation_prompt"), variables);
            if (!actual.equals(row.get("expected"))) {
                failures.add(TokenizerFixtures.show((String) row.get("expected")) + "\n   got " + TokenizerFixtures.show(actual));
            }
        }
        System.out.printf("%s chat templates: %d/%d rows%n", name, rows.size() - failures.size(), rows.size());
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }
}
