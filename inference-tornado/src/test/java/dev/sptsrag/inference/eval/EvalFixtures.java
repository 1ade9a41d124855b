package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.tokenizer.ChatTemplate;
import dev.sptsrag.inference.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** A real tokenizer and chat template (Llama 3.1's, from the tokenizer fixtures), loaded once. */
final class EvalFixtures {
    private static PromptFormat llama3;

    private EvalFixtures() {
    }

    static synchronized PromptFormat llama3() {
        if (llama3 == null) {
            Path dir = Path.of("src/test/resources/tokenizers/llama3_1");
            try {
                Path tmp = Files.createTempDirectory("eval-tok");
                Path json = tmp.resolve("tokenizer.json");
                try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("tokenizer.json.gz")))) {
                    Files.copy(in, json);
                }
                Tokenizer t = Tokenizer.fromHuggingFace(json, dir.resolve("tokenizer_config.json"));
                Files.delete(json);
                Files.delete(tmp);
                llama3 = new PromptFormat(t, ChatTemplate.forTokenizer(t));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return llama3;
    }
}
