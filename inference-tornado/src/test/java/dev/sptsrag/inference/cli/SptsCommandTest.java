package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.LowRankProxyFile;
import dev.sptsrag.inference.spts.ltp.ProxyVariant;
import dev.sptsrag.inference.testing.NanWeights;
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
        assertTrue(r.out().contains("QKV bias true, tied embeddings true, QK norm false"), r.out());
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
    void generateOnNanWeightsSaysSoAndFails(@TempDir Path dir) {
        Path gguf = NanWeights.write("llama-gqa-rope3", dir.resolve("nan.gguf"), "output_norm.weight", 0, 96);
        Run g = run("generate", gguf.toString(), "--prompt", "The badge number", "--max-tokens", "12", "--threads", "2");
        assertEquals(2, g.code(), g.err());
        assertTrue(g.err().contains("error: the model produced non-finite logits (NaN"), g.err());
        assertTrue(g.err().contains("at the prefill") && g.err().contains("corrupt"), g.err());
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

    @Test
    void calibrateWritesAProxyThatReadsBackForItsModel(@TempDir Path dir) throws Exception {
        Path proxy = dir.resolve("tiny.ltp");
        Run r = run("calibrate", "--preset", "tiny-llama", "--tokens", "300", "--sequence-length", "128",
                "--d-low", "48", "--rank", "16", "--out", proxy.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 sequences, 300 tokens"), r.out());
        assertTrue(r.out().contains("D_low 48, r 16, rho 0.2, variant down"), r.out());
        assertTrue(r.out().contains("layer 0: gather") && r.out().contains("layer 2: gather"), r.out());
        assertTrue(r.out().contains("forward pass ranking channels of layers 0..2"), r.out());
        assertTrue(r.out().contains("wrote " + proxy), r.out());
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 1)) {
            LowRankProxy p = LowRankProxyFile.read(proxy, m);
            assertEquals(48, p.shape().channels());
            assertEquals(300, p.calibrationTokens());
        }

        Run again = run("calibrate", "--preset", "tiny-llama", "--tokens", "10", "--out", proxy.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--force"), again.err());
        Run noOut = run("calibrate", "--preset", "tiny-llama", "--tokens", "10");
        assertEquals(2, noOut.code());
        assertTrue(noOut.err().contains("--out"), noOut.err());
        Run tooWide = run("calibrate", "--preset", "tiny-llama", "--d-low", "321", "--out", dir.resolve("x").toString());
        assertEquals(2, tooWide.code());
        assertTrue(tooWide.err().contains("D_low"), tooWide.err());
        Run text = run("calibrate", "--preset", "tiny-llama", "--text", proxy.toString(), "--out", dir.resolve("y").toString());
        assertEquals(2, text.code());
        assertTrue(text.err().contains("no tokenizer"), text.err());
    }

    @Test
    void calibrateOnTextBesideAHuggingFaceFolder(@TempDir Path dir) throws Exception {
        Path folder = dir.resolve("model");
        Files.createDirectory(folder);
        try (var files = Files.list(ParityFixture.load("qwen2-bias-tied").folder())) {
            for (Path f : files.toList()) {
                Files.copy(f, folder.resolve(f.getFileName()));
            }
        }
        Path text = dir.resolve("calibration.txt");
        Files.writeString(text, "Ana works in Lyon. Her badge number is 4417. ".repeat(40));
        Run noText = run("calibrate", folder.toString());
        assertEquals(2, noText.code());
        assertTrue(noText.err().contains("--text"), noText.err());

        Run r = run("calibrate", folder.toString(), "--text", text.toString(), "--tokens", "200", "--sequence-length", "64",
                "--variant", "intermediate", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        Path written = folder.resolve("spts-ltp.bin");
        assertTrue(r.out().contains("wrote " + written), r.out());
        try (LoadedModel m = LoadedModel.open(folder)) {
            LowRankProxy p = LowRankProxyFile.read(written, m);
            assertEquals(ProxyVariant.INTERMEDIATE, p.shape().variant());
            assertEquals(200, p.calibrationTokens());
        }
    }

    @Test
    void evalGeneratesTasksRunsEveryModeAndRereadsItsTasksFromJsonl(@TempDir Path dir) throws Exception {
        String model = ParityFixture.load("llama-gqa-rope3").folder().toString();
        Path tasks = dir.resolve("tasks.jsonl");
        Path json = dir.resolve("report.json");
        String skip = "{\"mode\":\"SPTS\",\"startLayer\":1,\"boundaries\":[2],\"stageBudgets\":[64],\"removalPerBoundary\":16}";
        Run r = run("eval", "--model", model, "--tasks", "niah_single,niah_unseen", "--lengths", "300", "--samples", "2",
                "--modes", "FULL,SPTS,PREV_LAYER", "--skip", skip, "--backend", "cpu", "--ltp", "none", "--max-new-tokens", "4",
                "--warmup", "0", "--write-tasks", tasks.toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("niah_unseen") && r.out().contains("PREV_LAYER"), r.out());
        assertTrue(r.out().contains("FLOP/FULL"), r.out());
        assertEquals(4, Files.readAllLines(tasks).size());
        assertTrue(Files.readString(json).contains("\"prefillFlopsVsFull\""));

        Run again = run("eval", "--model", model, "--jsonl", tasks.toString(), "--modes", "FULL", "--backend", "cpu",
                "--max-new-tokens", "2", "--warmup", "0");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("niah_single"), again.out());

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, Files.readAllLines(tasks).getFirst() + "\n{\"task\":\"x\"}\n");
        Run broken = run("eval", "--model", model, "--jsonl", bad.toString(), "--backend", "cpu");
        assertEquals(2, broken.code());
        assertTrue(broken.err().contains("line 2: missing"), broken.err());
    }
}
