package dev.sptsrag.inference.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PtxCacheTest {

    private static final String SOURCE = "extern \"C\" __global__ void add_one(float* x, int n) {}";
    private static final List<String> OPTIONS = List.of("--gpu-architecture=compute_90", "-default-device");

    @TempDir
    Path dir;

    /** A stand-in for NVRTC that counts its calls and makes PTX that names its inputs. */
    private static final class CountingCompiler implements PtxCache.Compiler {
        final List<String> compiled = new ArrayList<>();

        @Override
        public String compile(String source, String programName, List<String> options) {
            compiled.add(programName);
            return "//\n.version 8.8\n.target sm_90\n// " + programName + " " + options + " " + source.hashCode() + "\n";
        }
    }

    private final CountingCompiler compiler = new CountingCompiler();

    private String get(PtxCache cache) {
        return cache.getOrCompile(SOURCE, "add_one.cu", OPTIONS, "9.0", 13000, "13.0", compiler);
    }

    @Test
    void secondRequestIsServedFromDiskEvenByANewInstance() {
        String first = get(new PtxCache(dir));
        String second = get(new PtxCache(dir));

        assertEquals(first, second);
        assertEquals(1, compiler.compiled.size());
    }

    @Test
    void anyChangedKeyPartIsAMiss() {
        PtxCache cache = new PtxCache(dir);
        get(cache);
        cache.getOrCompile(SOURCE + " ", "add_one.cu", OPTIONS, "9.0", 13000, "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_two.cu", OPTIONS, "9.0", 13000, "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_one.cu", List.of("--gpu-architecture=compute_90"), "9.0", 13000, "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_one.cu", List.of("-default-device", "--gpu-architecture=compute_90"), "9.0", 13000,
                "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_one.cu", OPTIONS, "8.9", 13000, "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_one.cu", OPTIONS, "9.0", 13010, "13.0", compiler);
        cache.getOrCompile(SOURCE, "add_one.cu", OPTIONS, "9.0", 13000, "13.1", compiler);
        assertEquals(8, compiler.compiled.size());

        get(cache);
        assertEquals(8, compiler.compiled.size(), "the original configuration is still cached");
    }

    @Test
    void keyPartsCannotRunIntoEachOther() {
        assertFalse(PtxCache.key("ab", "c", List.of(), "9.0", 1, "13.0")
                .equals(PtxCache.key("a", "bc", List.of(), "9.0", 1, "13.0")));
        assertFalse(PtxCache.key("s", "n", List.of("a b"), "9.0", 1, "13.0")
                .equals(PtxCache.key("s", "n", List.of("a", "b"), "9.0", 1, "13.0")));
    }

    @Test
    void aCorruptedEntryIsAMissAndIsRewritten() throws IOException {
        PtxCache cache = new PtxCache(dir);
        String ptx = get(cache);
        Path entry = cache.entryPath(SOURCE, "add_one.cu", OPTIONS, "9.0", 13000, "13.0");
        String stored = Files.readString(entry);
        Files.writeString(entry, stored.replace(".target sm_90", ".target sm_91"));

        assertEquals(ptx, get(cache));
        assertEquals(2, compiler.compiled.size());
        assertEquals(stored, Files.readString(entry), "rewritten intact");
        assertEquals(ptx, get(cache));
        assertEquals(2, compiler.compiled.size());
    }

    @Test
    void emptyTruncatedOrForeignEntriesAreMisses() throws IOException {
        PtxCache cache = new PtxCache(dir);
        String ptx = get(cache);
        Path entry = cache.entryPath(SOURCE, "add_one.cu", OPTIONS, "9.0", 13000, "13.0");
        String stored = Files.readString(entry);

        for (String damaged : List.of("", stored.substring(0, 20), stored.substring(0, stored.length() - 3), ptx)) {
            Files.writeString(entry, damaged);
            int before = compiler.compiled.size();
            assertEquals(ptx, get(cache));
            assertEquals(before + 1, compiler.compiled.size(), "damaged entry: " + damaged.length() + " chars");
        }
        Files.write(entry, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertEquals(ptx, get(cache));
    }

    @Test
    void anUnwritableDirectoryOnlyMeansCompilingEveryTime() throws IOException {
        // A regular file where a directory should be: unwritable even for root.
        Path blocker = Files.writeString(dir.resolve("blocker"), "");
        PtxCache cache = new PtxCache(blocker.resolve("ptx"));

        String first = get(cache);
        String second = get(cache);

        assertEquals(first, second);
        assertEquals(2, compiler.compiled.size());
    }

    @Test
    void compileErrorsPropagateAndStoreNothing() throws IOException {
        PtxCache cache = new PtxCache(dir);
        PtxCache.Compiler failing = (s, n, o) -> {
            throw new KernelCompilationException(n, o, "NVRTC_ERROR_COMPILATION", "error: expected a ;");
        };

        KernelCompilationException e = assertThrows(KernelCompilationException.class,
                () -> cache.getOrCompile(SOURCE, "bad.cu", OPTIONS, "9.0", 13000, "13.0", failing));

        assertTrue(e.getMessage().contains("error: expected a ;"), e.getMessage());
        assertEquals("error: expected a ;", e.log());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void writesLeaveOnlyTheEntryBehind() throws IOException {
        PtxCache cache = new PtxCache(dir.resolve("nested/ptx"));
        get(cache);
        try (Stream<Path> files = Files.list(cache.directory())) {
            List<Path> left = files.toList();
            assertEquals(List.of(cache.entryPath(SOURCE, "add_one.cu", OPTIONS, "9.0", 13000, "13.0")), left);
            assertTrue(left.getFirst().getFileName().toString().startsWith("add_one.cu-"));
        }
    }

    @Test
    void defaultDirectoryFollowsXdgCacheHome() {
        assertEquals(Path.of("/xdg/spts-rag/ptx"), PtxCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/xdg"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/spts-rag/ptx"), PtxCache.defaultDirectory(Map.of(), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/spts-rag/ptx"),
                PtxCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"));
    }
}
