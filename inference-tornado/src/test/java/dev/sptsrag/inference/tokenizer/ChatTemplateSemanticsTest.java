package dev.sptsrag.inference.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Small templates covering Jinja2's whitespace rules and the Python-isms chat templates use, each
 * rendered by Jinja2 configured as transformers configures it (tools/fixtures/make_jinja_cases.py).
 */
class ChatTemplateSemanticsTest {

    @Test
    void everyCaseRendersLikeJinja2() {
        List<Map<String, Object>> cases = TokenizerFixtures.jsonLines(
                TokenizerFixtures.RESOURCES.resolve("chat-templates/jinja-cases.jsonl"));
        List<String> failures = new ArrayList<>();
        int passed = 0;
        for (Map<String, Object> c : cases) {
            @SuppressWarnings("unchecked")
            Map<String, Object> vars = new HashMap<>((Map<String, Object>) c.get("vars"));
            List<ChatMessage> messages = vars.containsKey("messages") ? ChatTemplateConformanceTest.messages(vars.remove("messages")) : List.of();
            String bos = (String) vars.remove("bos_token");
            String eos = (String) vars.remove("eos_token");
            boolean generationPrompt = Boolean.TRUE.equals(vars.remove("add_generation_prompt"));
            ChatTemplate t = ChatTemplate.of((String) c.get("template"), bos, eos);
            String name = (String) c.get("name");
            try {
                String out = t.render(messages, generationPrompt, vars);
                if (c.containsKey("error")) {
                    failures.add(name + ": expected error \"" + c.get("error") + "\", rendered " + TokenizerFixtures.show(out));
                } else if (!out.equals(c.get("expected"))) {
                    failures.add(name + ": expected " + TokenizerFixtures.show((String) c.get("expected"))
                            + "\n      got " + TokenizerFixtures.show(out) + "\n      translated " + TokenizerFixtures.show(t.translatedSource()));
                } else {
                    passed++;
                }
            } catch (ChatTemplateException e) {
                if (c.containsKey("error") && e.raisedByTemplate() && e.getMessage().equals(c.get("error"))) {
                    passed++;
                } else {
                    failures.add(name + ": " + e.getMessage() + "\n      translated " + TokenizerFixtures.show(t.translatedSource()));
                }
            }
        }
        System.out.printf("jinja cases: %d/%d%n", passed, cases.size());
        if (!failures.isEmpty()) {
            fail(failures.size() + " cases differ:\n" + String.join("\n", failures));
        }
    }
}
