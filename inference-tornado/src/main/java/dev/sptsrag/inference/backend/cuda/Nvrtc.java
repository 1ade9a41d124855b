package dev.sptsrag.inference.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * NVRTC, the runtime CUDA C++ compiler ({@code nvrtc.h}): CUDA C++ source to PTX, which
 * {@link CudaDriver#moduleLoadData} then JIT-compiles for the device. Compilation needs no device
 * and no context. Thread-safe: every call uses its own program and arena.
 */
public final class Nvrtc {

    public static final int NVRTC_SUCCESS = 0;

    private final NativeLibrary library;
    private final MethodHandle nvrtcVersion;
    private final MethodHandle nvrtcCreateProgram;
    private final MethodHandle nvrtcCompileProgram;
    private final MethodHandle nvrtcGetPTXSize;
    private final MethodHandle nvrtcGetPTX;
    private final MethodHandle nvrtcGetProgramLogSize;
    private final MethodHandle nvrtcGetProgramLog;
    private final MethodHandle nvrtcDestroyProgram;
    private final MethodHandle nvrtcGetErrorString;

    private Nvrtc(NativeLibrary library) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        nvrtcVersion = link(linker, "nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcCreateProgram = link(linker, "nvrtcCreateProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        nvrtcCompileProgram = link(linker, "nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        nvrtcGetPTXSize = link(linker, "nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetPTX = link(linker, "nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetProgramLogSize = link(linker, "nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetProgramLog = link(linker, "nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcDestroyProgram = link(linker, "nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nvrtcGetErrorString = link(linker, "nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** @throws dev.sptsrag.inference.BackendUnavailableException when libnvrtc cannot be found or opened */
    public static Nvrtc open(CudaLibraries libraries) {
        return new Nvrtc(libraries.nvrtc());
    }

    public NativeLibrary library() {
        return library;
    }

    /** NVRTC's version as {@code "major.minor"}, e.g. {@code "13.0"}. */
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT);
            MemorySegment minor = a.allocate(JAVA_INT);
            check((int) nvrtcVersion.invokeExact(major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /**
     * Compiles {@code source} to PTX. {@code programName} names the source in the log (e.g.
     * {@code rmsnorm.cu}); {@code options} go to NVRTC unchanged, e.g.
     * {@code --gpu-architecture=compute_90}, {@code -default-device}, {@code --std=c++17}.
     *
     * @throws KernelCompilationException when the source does not compile, with NVRTC's log
     */
    public String compileToPtx(String source, String programName, List<String> options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment programOut = a.allocate(ADDRESS);
            check((int) nvrtcCreateProgram.invokeExact(programOut, a.allocateFrom(source), a.allocateFrom(programName),
                    0, MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram");
            MemorySegment program = programOut.get(ADDRESS, 0);
            try {
                MemorySegment optionArray = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    optionArray.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                }
                int r = (int) nvrtcCompileProgram.invokeExact(program, options.size(), optionArray);
                if (r != NVRTC_SUCCESS) {
                    throw new KernelCompilationException(programName, options, errorString(r), log(a, program));
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                check((int) nvrtcGetPTXSize.invokeExact(program, size), "nvrtcGetPTXSize");
                MemorySegment ptx = a.allocate(size.get(JAVA_LONG, 0)); // the size counts the terminating NUL
                check((int) nvrtcGetPTX.invokeExact(program, ptx), "nvrtcGetPTX");
                return ptx.getString(0);
            } finally {
                // Fails only for an invalid program, which cannot happen here.
                int ignored = (int) nvrtcDestroyProgram.invokeExact(programOut);
            }
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /** NVRTC's name for a status, e.g. {@code NVRTC_ERROR_COMPILATION}. */
    public String errorString(int result) {
        try {
            MemorySegment text = (MemorySegment) nvrtcGetErrorString.invokeExact(result);
            return text.address() == 0 ? "nvrtcResult " + result : text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    private String log(Arena a, MemorySegment program) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        if ((int) nvrtcGetProgramLogSize.invokeExact(program, size) != NVRTC_SUCCESS || size.get(JAVA_LONG, 0) <= 1) {
            return "";
        }
        MemorySegment log = a.allocate(size.get(JAVA_LONG, 0));
        if ((int) nvrtcGetProgramLog.invokeExact(program, log) != NVRTC_SUCCESS) {
            return "";
        }
        return log.getString(0);
    }

    private void check(int result, String call) {
        if (result != NVRTC_SUCCESS) {
            String name = errorString(result);
            throw new CudaException(call, result, name, name);
        }
    }

    private MethodHandle link(Linker linker, String symbol, FunctionDescriptor descriptor) {
        return linker.downcallHandle(library.symbol(symbol), descriptor);
    }
}
