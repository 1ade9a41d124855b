package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Library search and its error messages, without any CUDA library: these run on every machine. */
class CudaLibrariesTest {

    @TempDir
    Path dir;

    @Test
    void missingLibraryNamesItsFilesTheDirectoriesAndTheVariable() {
        Path other = dir.resolve("other");
        CudaLibraries libraries = new CudaLibraries(new CudaLibraryPaths(List.of(dir, other)));

        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> libraries.open("libspts-absent", List.of("libspts-absent.so.13", "libspts-absent.so"), "nothing"));

        String message = e.getMessage();
        assertTrue(message.contains("libspts-absent not found"), message);
        assertTrue(message.contains("libspts-absent.so.13, libspts-absent.so"), message);
        assertTrue(message.contains(dir.toString()), message);
        assertTrue(message.contains(other.toString()), message);
        assertTrue(message.contains("dynamic loader"), message);
        assertTrue(message.contains(CudaLibraryPaths.ENV_VARIABLE), message);
    }

    @Test
    void aFileThatIsNoLibraryIsReportedAndSkipped() throws IOException {
        // An executable, not a shared library: the loader refuses it (a non-ELF file would make the JVM
        // warn about stack guards before refusing).
        Path fake = Files.copy(Path.of(System.getProperty("java.home"), "bin", "java"), dir.resolve("libspts-fake.so.1"));
        CudaLibraries libraries = new CudaLibraries(new CudaLibraryPaths(List.of(dir)));

        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> libraries.open("libspts-fake", List.of("libspts-fake.so.1"), "nothing"));

        assertTrue(e.getMessage().contains("found but could not open: " + fake), e.getMessage());
    }

    @Test
    void explicitDirectoriesAreSearchedFirst() {
        // The JDK's own native library stands in for a CUDA one: it surely exists and loads.
        Path jdkLib = Path.of(System.getProperty("java.home"), "lib");
        CudaLibraries libraries = new CudaLibraries(new CudaLibraryPaths(List.of(dir, jdkLib)));

        NativeLibrary lib = libraries.open("libjava", List.of("libjava.so.99", "libjava.so"), "the JDK");

        assertEquals(jdkLib.resolve("libjava.so").toString(), lib.location());
        assertTrue(lib.symbols().find("JNU_ThrowByName").isPresent());
    }

    @Test
    void fallsBackToTheDynamicLoaderBySoname() {
        CudaLibraries libraries = new CudaLibraries(new CudaLibraryPaths(List.of(dir)));

        NativeLibrary libc = libraries.open("libc", List.of("libspts-absent.so", "libc.so.6"), "the system");

        assertEquals("libc.so.6 (via the dynamic loader)", libc.location());
    }

    @Test
    void aMissingSymbolSaysTheLibraryIsTooOld() {
        Path jdkLib = Path.of(System.getProperty("java.home"), "lib");
        NativeLibrary lib = new CudaLibraries(new CudaLibraryPaths(List.of(jdkLib)))
                .open("libjava", List.of("libjava.so"), "the JDK");

        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> lib.symbol("cuEventElapsedTime_v2"));

        assertTrue(e.getMessage().contains("libjava"), e.getMessage());
        assertTrue(e.getMessage().contains("cuEventElapsedTime_v2"), e.getMessage());
    }

    @Test
    void configuredDirectoriesComeFirstThenLdLibraryPathThenTheUsualPlaces() {
        CudaLibraryPaths paths = CudaLibraryPaths.fromEnvironment(Map.of(
                CudaLibraryPaths.ENV_VARIABLE, "/opt/a::/opt/b",
                "LD_LIBRARY_PATH", "/opt/c:/opt/a"));

        List<Path> dirs = paths.searchDirectories();
        assertEquals(List.of(Path.of("/opt/a"), Path.of("/opt/b"), Path.of("/opt/c"), Path.of("/usr/local/cuda/lib64")),
                dirs.subList(0, 4));
        assertTrue(dirs.contains(Path.of("/usr/local/nvidia/lib64")));
        assertEquals(dirs.size(), dirs.stream().distinct().count(), "no directory twice");
    }

    @Test
    void globSegmentsExpandToExistingDirectoriesOnly() throws IOException {
        Files.createDirectories(dir.resolve("x/.venv/lib/python3.12/site-packages/nvidia/cu13/lib"));
        Files.createDirectories(dir.resolve("y/.venv/lib/python3.11/site-packages/nvidia"));
        Files.writeString(dir.resolve("z"), "a file, not a folder");

        List<Path> found = CudaLibraryPaths.expand(dir, "*", ".venv", "lib", "python3*", "site-packages", "nvidia", "cu13", "lib");

        assertEquals(List.of(dir.resolve("x/.venv/lib/python3.12/site-packages/nvidia/cu13/lib")), found);
    }
}
