package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and opens the CUDA driver ({@code libcuda}), NVRTC ({@code libnvrtc}) and cuBLASLt
 * ({@code libcublasLt}). Each opens on first use and independently, so a machine with only the
 * driver can still detect its device. The configured directories are searched first, then the
 * dynamic loader's own search by soname.
 *
 * <p>Libraries stay loaded for the life of the process: unloading a GPU driver while its worker
 * threads may still run is unsafe, and the loader counts repeated opens, so reopening costs nothing.
 */
public final class CudaLibraries {

    static final List<String> DRIVER_FILES = List.of("libcuda.so.1", "libcuda.so");
    static final List<String> NVRTC_FILES = List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
    static final List<String> CUBLASLT_FILES = List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so");

    private final CudaLibraryPaths paths;
    private NativeLibrary driver;
    private NativeLibrary nvrtc;
    private NativeLibrary cublasLt;

    public CudaLibraries(CudaLibraryPaths paths) {
        this.paths = paths;
    }

    public CudaLibraryPaths paths() {
        return paths;
    }

    /** The CUDA driver API. @throws BackendUnavailableException when it cannot be found or opened */
    public synchronized NativeLibrary driver() {
        if (driver == null) {
            driver = open("libcuda", DRIVER_FILES, "the NVIDIA driver");
        }
        return driver;
    }

    /** The runtime CUDA C++ compiler. @throws BackendUnavailableException when it cannot be found or opened */
    public synchronized NativeLibrary nvrtc() {
        if (nvrtc == null) {
            nvrtc = open("libnvrtc", NVRTC_FILES, "the CUDA toolkit's NVRTC (or the pip wheel nvidia-cuda-nvrtc)");
        }
        return nvrtc;
    }

    /** cuBLASLt. @throws BackendUnavailableException when it cannot be found or opened */
    public synchronized NativeLibrary cublasLt() {
        if (cublasLt == null) {
            cublasLt = open("libcublasLt", CUBLASLT_FILES, "the CUDA toolkit's cuBLAS (or the pip wheel nvidia-cublas)");
        }
        return cublasLt;
    }

    /** Tries each file name in each directory, then each name through the dynamic loader. */
    NativeLibrary open(String name, List<String> fileNames, String providedBy) {
        List<String> failures = new ArrayList<>();
        for (Path dir : paths.searchDirectories()) {
            for (String file : fileNames) {
                Path candidate = dir.resolve(file);
                if (!Files.isRegularFile(candidate)) {
                    continue;
                }
                try {
                    SymbolLookup lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
                    return new NativeLibrary(name, candidate.toString(), lookup);
                } catch (IllegalArgumentException e) {
                    // Present but unloadable (wrong architecture, missing dependency): keep looking.
                    failures.add(candidate + " (" + e.getMessage() + ")");
                }
            }
        }
        for (String file : fileNames) {
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(file, Arena.global());
                return new NativeLibrary(name, file + " (via the dynamic loader)", lookup);
            } catch (IllegalArgumentException e) {
                // Not known to the loader under this name.
            }
        }
        StringBuilder message = new StringBuilder()
                .append(name).append(" not found: looked for ").append(String.join(", ", fileNames))
                .append(" in ").append(paths.searchDirectories().isEmpty() ? "no directories"
                        : String.join(", ", paths.searchDirectories().stream().map(Path::toString).toList()))
                .append(", and through the dynamic loader");
        if (!failures.isEmpty()) {
            message.append("; found but could not open: ").append(String.join("; ", failures));
        }
        message.append(". It comes with ").append(providedBy)
                .append(". Set ").append(CudaLibraryPaths.ENV_VARIABLE)
                .append(" to the directory holding it (several directories: separate them with ':').");
        throw new BackendUnavailableException(message.toString());
    }
}
