package dev.sptsrag.inference.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CUDA C kernels compile, with {@code nvcc} and no GPU, for the architectures the backend serves, so
 * a broken kernel fails CI on machines without a GPU. At run time NVRTC compiles the same source; nvcc
 * here also runs ptxas, which catches inline-PTX and register errors that PTX generation alone would not.
 */
class KernelSourceCompilesTest {

    @ParameterizedTest(name = "sm_{0}")
    @ValueSource(strings = {"80", "90"})
    void everyKernelCompilesWithNvcc(String arch, @TempDir Path dir) throws Exception {
        Path source = dir.resolve(CudaKernels.PROGRAM);
        Files.writeString(source, CudaKernels.source());
        Path cubin = dir.resolve("kernels.cubin");
        List<String> command = List.of(nvcc(), "-arch=sm_" + arch, "-std=c++17", "-cubin", "-o", cubin.toString(),
                source.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "nvcc timed out");
        assertEquals(0, p.exitValue(), "nvcc " + String.join(" ", command) + " failed:\n" + output);
        assertTrue(Files.size(cubin) > 0);
    }

    /** An {@code extern "C"} kernel definition: its name and its parameter list. */
    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+"
            + "(?:__launch_bounds__\\([^)]*\\)\\s+)?void\\s+(?:__launch_bounds__\\([^)]*\\)\\s+)?(\\w+)\\s*\\(([^)]*)\\)");

    /** The kernels {@code source} defines, each with its number of parameters. */
    private static Map<String, Integer> kernelsIn(String source) {
        Map<String, Integer> kernels = new TreeMap<>();
        for (Matcher m = KERNEL.matcher(source); m.find(); ) {
            kernels.put(m.group(1), m.group(2).split(",").length);
        }
        return kernels;
    }

    @Test
    void everyKernelTheBackendLaunchesIsDefinedInItsFileWithItsArgumentCount() {
        for (CudaKernel k : CudaKernel.values()) {
            assertTrue(CudaKernels.SOURCES.contains(k.sourceFile()), k + ": " + k.sourceFile() + " is not a source");
            Integer parameters = kernelsIn(CudaKernels.source(k.sourceFile())).get(k.symbol());
            assertNotNull(parameters, "kernel " + k.symbol() + " not in " + k.sourceFile());
            assertEquals(k.argumentCount(), parameters, "parameters of " + k.symbol());
        }
    }

    @Test
    void everyKernelInTheSourcesIsLaunchedOrUsedOnlyByTheSelfTest() {
        Set<String> unlisted = new TreeSet<>(kernelsIn(CudaKernels.source()).keySet());
        Arrays.stream(CudaKernel.values()).map(CudaKernel::symbol).forEach(unlisted::remove);
        // Variants the backend does not launch (yet), kept because tools/gpu/kernel_selftest.cu tests them.
        assertEquals(Set.of("convert_bf16_to_f32", "rms_norm_bf16", "swiglu_bf16"), unlisted);
    }

    private static String nvcc() throws IOException {
        for (String candidate : List.of("/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path c = Path.of(d, "nvcc");
                if (Files.isExecutable(c)) {
                    return c.toString();
                }
            }
        }
        fail("nvcc not found (PATH, /usr/local/cuda/bin): the CUDA kernels cannot be compile-checked; "
                + "install the CUDA toolkit's compiler (nvcc 13) on this machine");
        throw new IOException("not reached");
    }
}
