package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user types it, on the fixture models. */
class SptsCommandTest {
    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SptsCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void infoDescribesAHuggingFaceFolder() {
        Run r = run("info", ParityFixture.load("qwen2-bias-tied").folder().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("QWEN2"), r.out());
        assertTrue(r.out().contains("QKV bias true, tied embeddings true"), r.out());
        assertTrue(r.out().contains("pre-tokenizer qwen2"), r.out());
        assertTrue(r.out().contains("KV cache"), r.out());
    }

    @Test
    void convertThenGenerateFromTheGgufFile(@TempDir Path dir) throws Exception {
        Path gguf = dir.resolve("llama.gguf");
        Run c = run("convert", ParityFixture.load("llama-gqa-rope3").folder().toString(), gguf.toString(), "--type", "q8_0");
        assertEquals(0, c.code(), c.err());
        assertTrue(Files.size(gguf) > 100_000);
        Run again = run("convert", ParityFixture.load("llama-gqa-rope3").folder().toString(), gguf.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--force"), again.err());

        Run info = run("info", gguf.toString(), "--metadata");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("general.file_type"), info.out());
        assertTrue(info.out().contains("Q8_0"), info.out());

        Run g = run("generate", gguf.toString(), "--prompt", "The badge number", "--max-tokens", "12", "--seed", "5",
                "--threads", "2");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.err().contains("prefill") && g.err().contains("decode") && g.err().contains("TTFT"), g.err());
        assertTrue(g.err().contains("finish"), g.err());
    }

    @Test
    void benchRunsOnAPreset() {
        Run r = run("bench", "--preset", "tiny-llama", "--prompt-tokens", "40", "--gen-tokens", "4", "--runs", "2",
                "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| tiny-llama |"), r.out());
        assertTrue(r.out().contains("prefill tok/s"), r.out());
    }

    @Test
    void badInputGivesATypedMessageAndExitCode2(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.gguf");
        Files.write(junk, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        Run r = run("info", junk.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("truncated"), r.err());

        Run missing = run("info", dir.resolve("nothing-here").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no model at"), missing.err());

        Run preset = run("info", "--preset", "llama-9000");
        assertEquals(2, preset.code());
        assertTrue(preset.err().contains("unknown model preset"), preset.err());

        Run badTemp = run("generate", "--preset", "tiny-llama", "-p", "x", "--temperature", "-1");
        assertEquals(2, badTemp.code());
        assertTrue(badTemp.err().contains("temperature"), badTemp.err());
    }

    @Test
    void generateFromAConversationFile(@TempDir Path dir) throws Exception {
        Path folder = ParityFixture.load("llama-gqa-rope3").folder();
        Path conversation = dir.resolve("chat.json");
        Files.writeString(conversation, """
                [{"role": "system", "content": "Answer briefly."},
                 {"role": "user", "content": "Where does Ana work?"},
                 {"role": "assistant", "content": "In Lyon."},
                 {"role": "user", "content": "And her badge number?"}]
                """);
        Run g = run("generate", folder.toString(), "--messages", conversation.toString(), "-n", "6",
                "--temperature", "0", "--threads", "2");
        assertEquals(0, g.code(), g.err());
        // Four turns through the template plus the generation prompt: far more tokens than the last question alone.
        var prompt = java.util.regex.Pattern.compile("prompt (\\d+) tokens").matcher(g.err());
        assertTrue(prompt.find(), g.err());
        assertTrue(Integer.parseInt(prompt.group(1)) > 40, g.err());

        Files.writeString(conversation, "[{\"role\": \"user\"}]");
        Run bad = run("generate", folder.toString(), "--messages", conversation.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("content"), bad.err());

        Run both = run("generate", folder.toString(), "--messages", conversation.toString(), "-p", "hi");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("either --prompt or --messages"), both.err());
    }
}
