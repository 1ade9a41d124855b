package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.f32Bytes;
import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Weight discovery, shard index checks and side files of a model folder, on small synthetic folders. */
class HuggingFaceModelFolderTest {
    @TempDir
    Path root;

    private Path model;

    private Path folder() throws IOException {
        model = Files.createDirectories(root.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":2}");
        return model;
    }

    private static void shard(Path file, String... tensorNames) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        float v = 1;
        for (String name : tensorNames) {
            w.add(name, GgmlType.F32, new long[] {2}, f32Bytes(v, v + 0.5f));
            v++;
        }
        w.write(file);
    }

    private static void index(Path dir, String weightMapJson) throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":0},\"weight_map\":" + weightMapJson + "}");
    }

    private static <T extends Throwable> T assertMessage(Class<T> type, Path dir, String... fragments) {
        T e = assertThrows(type, () -> HuggingFaceModelFolder.open(dir).close());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "\"" + e.getMessage() + "\" should mention " + f);
        }
        return e;
    }

    @Test
    void missingConfigIsAFormatErrorNamingFolderAndFile() throws IOException {
        Path dir = Files.createDirectories(root.resolve("no-config"));
        shard(dir.resolve("model.safetensors"), "a");
        assertMessage(ModelFormatException.class, dir, "no-config", "config.json");
    }

    @Test
    void notADirectoryIsAFormatError() {
        assertMessage(ModelFormatException.class, root.resolve("absent"), "absent", "not a directory");
    }

    @Test
    void folderWithoutWeightsSaysWhatWasLookedFor() throws IOException {
        Path dir = folder();
        assertMessage(ModelFormatException.class, dir, dir.toString(), "model.safetensors",
                "model.safetensors.index.json", "*.safetensors");
    }

    @Test
    void pytorchPickleOnlyFolderIsUnsupportedAndSaysToConvert() throws IOException {
        Path dir = folder();
        Files.write(dir.resolve("pytorch_model.bin"), new byte[16]);
        assertMessage(UnsupportedModelException.class, dir, "pytorch_model.bin", "safetensors");
    }

    @Test
    void shardedPickleFolderIsUnsupportedToo() throws IOException {
        Path dir = folder();
        Files.write(dir.resolve("pytorch_model-00001-of-00002.bin"), new byte[16]);
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), "{\"weight_map\":{}}");
        assertMessage(UnsupportedModelException.class, dir, "convert");
    }

    @Test
    void singleFileWinsOverOtherSafetensorsFiles() throws IOException {
        Path dir = folder();
        shard(dir.resolve("model.safetensors"), "a", "b");
        shard(dir.resolve("consolidated.safetensors"), "a", "c");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(f.tensorNames()));
        }
    }

    @Test
    void indexMapsTensorsToTheirShards() throws IOException {
        Path dir = folder();
        shard(dir.resolve("s1.safetensors"), "x", "a");
        shard(dir.resolve("s2.safetensors"), "b");
        index(dir, "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(f.tensorNames()));
            assertArrayEquals(new float[] {2f, 2.5f}, floats(f.tensor("a")));
            assertArrayEquals(new float[] {1f, 1.5f}, floats(f.tensor("b")));
            // "x" is in s1 but the index does not list it: left out, by design.
            assertTrue(f.findTensor("x").isEmpty());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.tensor("x"));
            assertTrue(e.getMessage().contains("\"x\""), e.getMessage());
        }
    }

    @Test
    void indexNamingAMissingShardIsAFormatError() throws IOException {
        Path dir = folder();
        shard(dir.resolve("s1.safetensors"), "a");
        index(dir, "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}");
        assertMessage(ModelFormatException.class, dir, "s2.safetensors", "missing");
    }

    @Test
    void indexNamingAFileOutsideTheFolderIsRejectedBeforeOpeningIt() throws IOException {
        Path dir = folder();
        shard(root.resolve("outside.safetensors"), "a");   // exists, and must not be reached
        Files.createDirectories(dir.resolve("sub"));
        for (String name : List.of("../outside.safetensors", "sub/../../outside.safetensors",
                root.resolve("outside.safetensors").toString(), "", "..")) {
            index(dir, "{\"a\":\"" + name.replace("\\", "\\\\") + "\"}");
            assertMessage(ModelFormatException.class, dir, "model.safetensors.index.json");
        }
    }

    @Test
    void indexMayNameAShardInASubfolder() throws IOException {
        Path dir = folder();
        shard(Files.createDirectories(dir.resolve("weights")).resolve("s.safetensors"), "a");
        index(dir, "{\"a\":\"weights/s.safetensors\"}");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertEquals(List.of("a"), List.copyOf(f.tensorNames()));
        }
    }

    @Test
    void shardsMayBeSymbolicLinksAsInTheHubCache() throws IOException {
        Path dir = folder();
        Path blob = Files.createDirectories(root.resolve("blobs")).resolve("3f2a9c");
        shard(blob, "a");
        try {
            Files.createSymbolicLink(dir.resolve("model-00001-of-00001.safetensors"), blob);
        } catch (UnsupportedOperationException | IOException e) {
            assumeTrue(false, "no symbolic links here: " + e);
        }
        index(dir, "{\"a\":\"model-00001-of-00001.safetensors\"}");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertArrayEquals(new float[] {1f, 1.5f}, floats(f.tensor("a")));
        }
    }

    @Test
    void indexMappingATensorToAShardWithoutItIsAFormatError() throws IOException {
        Path dir = folder();
        shard(dir.resolve("s1.safetensors"), "a");
        shard(dir.resolve("s2.safetensors"), "b");
        index(dir, "{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}");
        assertMessage(ModelFormatException.class, dir, "\"b\"", "s1.safetensors", "does not hold");
    }

    @Test
    void malformedIndexIsAFormatError() throws IOException {
        Path dir = folder();
        shard(dir.resolve("s1.safetensors"), "a");
        for (String weightMap : List.of("{}", "[]", "{\"a\":1}", "{\"a\":null}", "{\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}")) {
            index(dir, weightMap);
            assertMessage(ModelFormatException.class, dir, "model.safetensors.index.json");
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{}}");
        assertMessage(ModelFormatException.class, dir, "weight_map");
    }

    @Test
    void shardsWithoutAnIndexAreMerged() throws IOException {
        Path dir = folder();
        shard(dir.resolve("part-b.safetensors"), "c");
        shard(dir.resolve("part-a.safetensors"), "a", "b");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(f.tensorNames()));
            assertArrayEquals(new float[] {1f, 1.5f}, floats(f.tensor("c")));
        }
    }

    @Test
    void duplicateTensorAcrossShardsWithoutAnIndexIsAFormatError() throws IOException {
        Path dir = folder();
        shard(dir.resolve("part-a.safetensors"), "a", "b");
        shard(dir.resolve("part-b.safetensors"), "b");
        assertMessage(ModelFormatException.class, dir, "\"b\"", "part-a.safetensors", "part-b.safetensors");
    }

    @Test
    void aBadShardFailsTheFolderAndReleasesTheShardsAlreadyMapped() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs /proc/self/maps");
        Path dir = folder();
        shard(dir.resolve("a-good.safetensors"), "a");
        Files.write(dir.resolve("b-bad.safetensors"), new byte[] {1, 2, 3});
        assertMessage(ModelFormatException.class, dir, "b-bad.safetensors");
        assertFalse(Files.readString(maps).contains("a-good.safetensors"), "a-good.safetensors is still mapped");
    }

    @Test
    void closeUnmapsEveryShardAndIsIdempotent() throws IOException {
        Path dir = folder();
        shard(dir.resolve("s1.safetensors"), "a");
        shard(dir.resolve("s2.safetensors"), "b");
        index(dir, "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}");
        HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir);
        var a = f.tensor("a");
        var b = f.tensor("b");
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> floats(a));
        assertThrows(IllegalStateException.class, () -> floats(b));
        assertThrows(IllegalStateException.class, () -> f.tensor("a"));
    }

    @Test
    void unsupportedDtypeInAShardPropagates() throws IOException {
        Path dir = folder();
        Files.write(dir.resolve("model.safetensors"), SafetensorsTestFiles.raw(
                "{\"pos\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
        assertMessage(UnsupportedModelException.class, dir, "pos", "I64");
    }

    @Test
    void chatTemplateFallsBackToTokenizerConfig() throws IOException {
        Path dir = folder();
        shard(dir.resolve("model.safetensors"), "a");
        try (HuggingFaceModelFolder f = HuggingFaceModelFolder.open(dir)) {
            assertEquals(Optional.empty(), f.chatTemplate());
            assertEquals(Optional.empty(), f.tokenizerJson());
            assertEquals(Optional.empty(), f.generationConfig());

            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\":\"{{ messages }}\"}");
            assertEquals(Optional.of("{{ messages }}"), f.chatTemplate());

            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\":[{\"name\":\"tool_use\","
                    + "\"template\":\"T\"},{\"name\":\"default\",\"template\":\"D\"}]}");
            assertEquals(Optional.of("D"), f.chatTemplate());

            Files.writeString(dir.resolve("tokenizer_config.json"),
                    "{\"chat_template\":[{\"name\":\"rag\",\"template\":\"R\"}]}");
            assertEquals(Optional.empty(), f.chatTemplate());

            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\":null}");
            assertEquals(Optional.empty(), f.chatTemplate());

            for (String bad : List.of("{\"chat_template\":3}", "{\"chat_template\":[\"x\"]}",
                    "{\"chat_template\":[{\"name\":\"default\"}]}")) {
                Files.writeString(dir.resolve("tokenizer_config.json"), bad);
                assertThrows(ModelFormatException.class, f::chatTemplate, bad);
            }

            Files.writeString(dir.resolve("chat_template.jinja"), "J");
            assertEquals(Optional.of("J"), f.chatTemplate(), "the .jinja file wins");

            Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\":0.7}");
            assertEquals(Map.of("temperature", 0.7), f.generationConfig().orElseThrow());
        }
    }
}
