package dev.sptsrag.inference.backend.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where to look for the CUDA libraries, in order. The dynamic loader's own search (by soname) is
 * tried after these directories, so an empty list still finds libraries the system has registered.
 */
public record CudaLibraryPaths(List<Path> searchDirectories) {

    /** Environment variable naming extra colon-separated directories, searched before any other. */
    public static final String ENV_VARIABLE = "SPTS_CUDA_LIBRARY_PATH";

    private static final List<String> FIXED_DIRECTORIES = List.of(
            "/usr/local/cuda/lib64",
            "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/local/cuda-13.0/lib64",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/local/nvidia/lib64",
            "/usr/lib64");

    public CudaLibraryPaths {
        searchDirectories = List.copyOf(searchDirectories);
    }

    /**
     * {@value #ENV_VARIABLE}, then {@code LD_LIBRARY_PATH}, then the usual CUDA install folders,
     * then the lib folders of NVIDIA's pip wheels (PyTorch images ship CUDA that way).
     */
    public static CudaLibraryPaths defaults() {
        return fromEnvironment(System.getenv());
    }

    static CudaLibraryPaths fromEnvironment(Map<String, String> env) {
        Set<Path> dirs = new LinkedHashSet<>();
        addPathList(dirs, env.get(ENV_VARIABLE));
        addPathList(dirs, env.get("LD_LIBRARY_PATH"));
        for (String d : FIXED_DIRECTORIES) {
            dirs.add(Path.of(d));
        }
        // Wheels: nvidia/cu13/lib holds every CUDA 13 library; CUDA 12 wheels split them per package.
        for (Path venv : expand(Path.of("/opt"), "*", ".venv", "lib", "python3*", "site-packages", "nvidia")) {
            for (String pkg : List.of("cu13", "cublas", "cuda_nvrtc")) {
                Path lib = venv.resolve(pkg).resolve("lib");
                if (Files.isDirectory(lib)) {
                    dirs.add(lib);
                }
            }
        }
        dirs.addAll(expand(Path.of("/usr/local/lib"), "python3*", "dist-packages", "nvidia", "*", "lib"));
        return new CudaLibraryPaths(new ArrayList<>(dirs));
    }

    private static void addPathList(Set<Path> dirs, String colonSeparated) {
        if (colonSeparated == null) {
            return;
        }
        for (String part : colonSeparated.split(":")) {
            if (!part.isBlank()) {
                dirs.add(Path.of(part.trim()));
            }
        }
    }

    /** Existing directories under {@code root} matching each glob segment in turn. */
    static List<Path> expand(Path root, String... segments) {
        List<Path> current = Files.isDirectory(root) ? List.of(root) : List.of();
        for (String segment : segments) {
            List<Path> next = new ArrayList<>();
            for (Path dir : current) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, segment)) {
                    for (Path child : children) {
                        if (Files.isDirectory(child)) {
                            next.add(child);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // An unreadable folder just contributes nothing to the search.
                }
            }
            next.sort(null);
            current = next;
        }
        return current;
    }
}
