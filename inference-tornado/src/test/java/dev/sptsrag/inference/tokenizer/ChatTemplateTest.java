package dev.sptsrag.inference.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The renderer's API: errors, the tokenizer's own template, long contexts. */
class ChatTemplateTest {

    @Test
    void raiseExceptionIsTheTemplateRefusingTheConversation() {
        ChatTemplate t = ChatTemplate.of("{% if messages[0].role == 'assistant' %}{{ raise_exception('must start with user') }}{% endif %}ok",
                null, null);
        assertEquals("ok", t.render(List.of(ChatMessage.user("q")), false));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.assistant("a")), false));
        assertTrue(e.raisedByTemplate());
        assertEquals("must start with user", e.getMessage());
    }

    @Test
    void brokenTemplateIsNotBlamedOnTheConversation() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content + }}{% endfor %}", null, null);
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.user("q")), false));
        assertFalse(e.raisedByTemplate());
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.of("{{ 'unterminated }}", null, null));
    }

    @Test
    void renderedLlamaPromptEncodesWithTheTemplatesOwnBos() {
        Tokenizer tok = TokenizerFixtures.tokenizer("llama3_1");
        ChatTemplate t = ChatTemplate.forTokenizer(tok);
        String prompt = t.render(List.of(ChatMessage.system("Answer briefly."), ChatMessage.user("Hi")), true);
        int[] ids = tok.encode(prompt); // the template writes BOS itself: no addSpecialTokens
        assertEquals(128000, ids[0]);
        assertEquals(1, java.util.Arrays.stream(ids).filter(i -> i == 128000).count());
        assertEquals(128007, ids[ids.length - 2]); // <|end_header_id|>
        assertEquals(prompt, tok.decode(ids));
    }

    @Test
    void tinyModelsShipTemplatesThatRender() {
        for (String model : List.of("llama-gqa-rope3", "qwen2-bias-tied")) {
            Path dir = TokenizerFixtures.RESOURCES.resolve("parity").resolve(model);
            Tokenizer tok = Tokenizer.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
            String out = ChatTemplate.forTokenizer(tok).render(List.of(ChatMessage.user(" hello ")), true);
            assertTrue(out.contains("hello"), out);
            assertTrue(out.endsWith(model.startsWith("qwen") ? "<|im_start|>assistant\n" : "<|end_header_id|>\n\n"), out);
        }
    }

    @Test
    void longRagContextRendersVerbatim() {
        ChatTemplate t = ChatTemplateConformanceTest.template("qwen3");
        String context = "[1] {{ not a tag }} {% neither %} line\n".repeat(30_000); // ~1.1 MB
        String out = t.render(List.of(ChatMessage.system(context), ChatMessage.user("q")), true, Map.of("enable_thinking", false));
        assertEquals("<|im_start|>system\n" + context + "<|im_end|>\n<|im_start|>user\nq<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\n", out);
    }
}
