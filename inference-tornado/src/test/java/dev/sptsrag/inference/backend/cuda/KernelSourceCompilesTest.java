package dev.sptsrag.inference.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        Path source = dir.resolve("kernels.cu");
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

    @Test
    void everyKernelTheBackendLaunchesIsDefined() {
        String src = CudaKernels.source();
        for (String name : CudaKernels.NAMES) {
            String bounds = "(?:__launch_bounds__\\([^)]*\\)\\s+)?";
            assertTrue(Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+" + bounds + "void\\s+" + bounds
                    + Pattern.quote(name) + "\\s*\\(").matcher(src).find(), "kernel " + name + " not in kernels.cu");
        }
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
