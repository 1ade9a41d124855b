package dev.sptsrag.inference.testing;

import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A tiny Hugging Face model saved by tools/fixtures/make_reference_fixtures.py with transformers,
 * plus transformers' float32 logits for every position of a prompt and its greedy continuation.
 */
public record ParityFixture(String name, Path folder, int[] sequence, int promptLength, int vocabSize,
                            float[][] logits, int[] argmax) {

    /** Every fixture folder under {@code parity/} (one with a {@code reference.json}), by name. */
    public static final List<String> NAMES = discover();

    private static List<String> discover() {
        try {
            Path root = Path.of(ParityFixture.class.getResource("/parity").toURI());
            try (Stream<Path> dirs = Files.list(root)) {
                return dirs.filter(d -> Files.isRegularFile(d.resolve("reference.json")))
                        .map(d -> d.getFileName().toString()).sorted().toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ParityFixture load(String name) {
        try {
            Path folder = Path.of(ParityFixture.class.getResource("/parity/" + name + "/config.json").toURI()).getParent();
            Map<String, Object> ref = Json.parseObject(folder.resolve("reference.json"));
            int[] sequence = ints(JsonValues.array(ref, "sequence", name));
            int[] argmax = ints(JsonValues.array(ref, "argmax", name));
            int vocab = (int) JsonValues.integer(ref, "vocab_size", name);
            int prompt = (int) JsonValues.integer(ref, "prompt_length", name);
            ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(folder.resolve("reference-logits.f32")))
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[][] logits = new float[sequence.length][vocab];
            for (float[] row : logits) {
                raw.asFloatBuffer().get(row);
                raw.position(raw.position() + vocab * 4);
            }
            if (raw.hasRemaining()) {
                throw new IllegalStateException(name + ": reference-logits.f32 has trailing bytes");
            }
            return new ParityFixture(name, folder, sequence, prompt, vocab, logits, argmax);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public double[] referenceRow(int position) {
        double[] out = new double[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            out[i] = logits[position][i];
        }
        return out;
    }

    private static int[] ints(List<Object> list) {
        return list.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
}
