package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API calls the engine uses (CUDA 13, {@code cuda.h}): initialisation, device
 * queries, primary contexts, memory and copies, modules and kernel launches, streams and events.
 * Each method checks the {@code CUresult} and throws {@link CudaException}.
 *
 * <p>Symbols are the ones {@code cuda.h} maps the API names to ({@code cuMemAlloc} is
 * {@code cuMemAlloc_v2}, {@code cuEventElapsedTime} is {@code cuEventElapsedTime_v2}); the
 * per-thread-default-stream variants are not used, so a {@code NULL} stream is the legacy default
 * stream. {@code CUdeviceptr} is a {@code long}; other handles ({@code CUcontext}, {@code CUstream},
 * {@code CUmodule}, {@code CUfunction}, {@code CUevent}) are address-only {@link MemorySegment}s.
 *
 * <p>Launches, asynchronous copies and stream/event calls allocate nothing; calls with
 * out-parameters use a short-lived arena (they are setup calls). The driver binds a context to the
 * calling thread: a thread other than the one that made it current must call
 * {@link #setCurrentContext} first.
 */
public final class CudaDriver {

    public static final int DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    public static final int DEVICE_ATTRIBUTE_WARP_SIZE = 10;
    public static final int DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38;
    public static final int DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81;
    public static final int DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    /** {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}: raise before launching with over 48 KiB of shared memory. */
    public static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    public static final int STREAM_DEFAULT = 0;
    /** A stream that does not synchronise with the legacy default stream. */
    public static final int STREAM_NON_BLOCKING = 1;

    public static final int EVENT_DEFAULT = 0;
    public static final int EVENT_BLOCKING_SYNC = 1;
    public static final int EVENT_DISABLE_TIMING = 2;

    public static final int CUDA_SUCCESS = 0;

    private static final Linker LINKER = Linker.nativeLinker();

    private final NativeLibrary library;

    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuCtxSynchronize;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemAllocHost;
    private final MethodHandle cuMemFreeHost;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemcpyDtoD;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuMemsetD8;
    private final MethodHandle cuMemsetD32Async;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuFuncSetAttribute;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventDestroy;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;

    private CudaDriver(NativeLibrary library) {
        this.library = library;
        cuInit = link("cuInit", JAVA_INT);
        cuDriverGetVersion = link("cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = link("cuDeviceGetCount", ADDRESS);
        cuDeviceGet = link("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = link("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = link("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = link("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRetain = link("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = link("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = link("cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = link("cuCtxSynchronize");
        cuMemGetInfo = link("cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuMemAlloc = link("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = link("cuMemFree_v2", JAVA_LONG);
        cuMemAllocHost = link("cuMemAllocHost_v2", ADDRESS, JAVA_LONG);
        cuMemFreeHost = link("cuMemFreeHost", ADDRESS);
        cuMemcpyHtoD = link("cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
        cuMemcpyDtoH = link("cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        cuMemcpyDtoD = link("cuMemcpyDtoD_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG);
        cuMemcpyHtoDAsync = link("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = link("cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemcpyDtoDAsync = link("cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD8 = link("cuMemsetD8_v2", JAVA_LONG, JAVA_BYTE, JAVA_LONG);
        cuMemsetD32Async = link("cuMemsetD32Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        cuModuleLoadData = link("cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleUnload = link("cuModuleUnload", ADDRESS);
        cuModuleGetFunction = link("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuFuncSetAttribute = link("cuFuncSetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuLaunchKernel = link("cuLaunchKernel", ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS);
        cuStreamCreate = link("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamDestroy = link("cuStreamDestroy_v2", ADDRESS);
        cuStreamSynchronize = link("cuStreamSynchronize", ADDRESS);
        cuEventCreate = link("cuEventCreate", ADDRESS, JAVA_INT);
        cuEventDestroy = link("cuEventDestroy_v2", ADDRESS);
        cuEventRecord = link("cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = link("cuEventSynchronize", ADDRESS);
        cuEventElapsedTime = link("cuEventElapsedTime_v2", ADDRESS, ADDRESS, ADDRESS);
        cuGetErrorName = link("cuGetErrorName", JAVA_INT, ADDRESS);
        cuGetErrorString = link("cuGetErrorString", JAVA_INT, ADDRESS);
    }

    /**
     * Binds the driver and initialises it ({@code cuInit(0)}).
     *
     * @throws BackendUnavailableException when libcuda is missing, too old, or finds no usable device
     */
    public static CudaDriver open(CudaLibraries libraries) {
        NativeLibrary library = libraries.driver();
        CudaDriver driver = new CudaDriver(library);
        int r = driver.callInit();
        if (r != CUDA_SUCCESS) {
            CudaException e = driver.error(r, "cuInit");
            throw new BackendUnavailableException("the CUDA driver at " + library.location()
                    + " could not start: " + e.getMessage(), e);
        }
        return driver;
    }

    /** The libcuda this binds, for diagnostics. */
    public NativeLibrary library() {
        return library;
    }

    // ---- devices ------------------------------------------------------------------------------

    /** The CUDA version the driver supports, e.g. 13000 for 13.0. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDriverGetVersion.invokeExact(out), "cuDriverGetVersion");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGetCount.invokeExact(out), "cuDeviceGetCount");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The {@code CUdevice} handle of device {@code ordinal} (0-based). */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(256);
            check((int) cuDeviceGetName.invokeExact(out, 256, device), "cuDeviceGetName");
            return out.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code CU_DEVICE_ATTRIBUTE_*} value; see the {@code DEVICE_ATTRIBUTE_} constants. */
    public int deviceAttribute(int attribute, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Compute capability as {@code "major.minor"}, e.g. {@code "9.0"} on Hopper. */
    public String computeCapability(int device) {
        return deviceAttribute(DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device) + "."
                + deviceAttribute(DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    }

    public long deviceTotalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cuDeviceTotalMem.invokeExact(out, device), "cuDeviceTotalMem_v2");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- contexts -----------------------------------------------------------------------------

    /** Retains the device's primary context (the one the CUDA runtime and cuBLAS use too). */
    public MemorySegment retainPrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void releasePrimaryContext(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Makes {@code context} current on the calling thread. */
    public void setCurrentContext(MemorySegment context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for all work in the current context. */
    public void synchronizeContext() {
        try {
            check((int) cuCtxSynchronize.invokeExact(), "cuCtxSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- memory -------------------------------------------------------------------------------

    /** {@code {free, total}} bytes of device memory in the current context. */
    public long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG);
            MemorySegment total = a.allocate(JAVA_LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Allocates {@code bytes} of device memory; returns its {@code CUdeviceptr}. */
    public long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cuMemAlloc.invokeExact(out, bytes), "cuMemAlloc_v2");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void memFree(long devicePointer) {
        try {
            check((int) cuMemFree.invokeExact(devicePointer), "cuMemFree_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Allocates {@code bytes} of page-locked host memory (fast, truly asynchronous copies). */
    public MemorySegment memAllocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuMemAllocHost.invokeExact(out, bytes), "cuMemAllocHost_v2");
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void memFreeHost(MemorySegment host) {
        try {
            check((int) cuMemFreeHost.invokeExact(host), "cuMemFreeHost");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} from the native segment {@code src} to device memory, waiting for the copy. */
    public void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        requireHost(src, bytes);
        try {
            check((int) cuMemcpyHtoD.invokeExact(dst, src, bytes), "cuMemcpyHtoD_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} of device memory into the native segment {@code dst}, waiting for the copy. */
    public void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        requireHost(dst, bytes);
        try {
            check((int) cuMemcpyDtoH.invokeExact(dst, src, bytes), "cuMemcpyDtoH_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void memcpyDtoD(long dst, long src, long bytes) {
        try {
            check((int) cuMemcpyDtoD.invokeExact(dst, src, bytes), "cuMemcpyDtoD_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Queues a host-to-device copy; {@code src} must stay untouched until the stream reaches it. */
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        requireHost(src, bytes);
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Queues a device-to-host copy; {@code dst} is filled once the stream reaches it. */
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        requireHost(dst, bytes);
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void memcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets {@code count} bytes to {@code value}. */
    public void memsetD8(long dst, byte value, long count) {
        try {
            check((int) cuMemsetD8.invokeExact(dst, value, count), "cuMemsetD8_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Queues setting {@code count} 32-bit words to {@code value} ({@code Float.floatToRawIntBits} for floats). */
    public void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        try {
            check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- modules and launches -----------------------------------------------------------------

    /** Loads PTX text (JIT-compiled by the driver for this device) into the current context. */
    public MemorySegment moduleLoadData(String ptx) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            MemorySegment image = a.allocateFrom(ptx); // NUL-terminated: the driver reads PTX up to it
            check((int) cuModuleLoadData.invokeExact(out, image), "cuModuleLoadData");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void moduleUnload(MemorySegment module) {
        try {
            check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The kernel {@code name} (its {@code extern "C"} name) in {@code module}. */
    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) cuModuleGetFunction.invokeExact(out, module, a.allocateFrom(name));
            if (r != CUDA_SUCCESS) {
                throw error(r, "cuModuleGetFunction(" + name + ")");
            }
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets a {@code CU_FUNC_ATTRIBUTE_*}; see {@link #FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    public void functionAttribute(MemorySegment function, int attribute, int value) {
        try {
            check((int) cuFuncSetAttribute.invokeExact(function, attribute, value), "cuFuncSetAttribute");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Queues {@code function} on {@code stream} with a grid of {@code g*} blocks of {@code b*} threads. */
    public void launch(MemorySegment function, int gx, int gy, int gz, int bx, int by, int bz,
                       int sharedBytes, MemorySegment stream, KernelArgs args) {
        try {
            int r = (int) cuLaunchKernel.invokeExact(function, gx, gy, gz, bx, by, bz, sharedBytes, stream,
                    args.pointers(), MemorySegment.NULL);
            if (r != CUDA_SUCCESS) {
                throw error(r, "cuLaunchKernel(grid " + gx + "x" + gy + "x" + gz + ", block " + bx + "x" + by
                        + "x" + bz + ", shared " + sharedBytes + " bytes)");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- streams and events -------------------------------------------------------------------

    /** A new stream; {@code flags} is {@link #STREAM_DEFAULT} or {@link #STREAM_NON_BLOCKING}. */
    public MemorySegment streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuStreamCreate.invokeExact(out, flags), "cuStreamCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void streamDestroy(MemorySegment stream) {
        try {
            check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void streamSynchronize(MemorySegment stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A new event; {@code flags} combines the {@code EVENT_} constants. */
    public MemorySegment eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuEventCreate.invokeExact(out, flags), "cuEventCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void eventDestroy(MemorySegment event) {
        try {
            check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void eventSynchronize(MemorySegment event) {
        try {
            check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Milliseconds between two recorded, completed events (made without {@link #EVENT_DISABLE_TIMING}). */
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime_v2");
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- errors -------------------------------------------------------------------------------

    /** The driver's name for a {@code CUresult}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName(int result) {
        return errorText(cuGetErrorName, result, "CUresult " + result);
    }

    /** The driver's description of a {@code CUresult}, e.g. {@code out of memory}. */
    public String errorString(int result) {
        return errorText(cuGetErrorString, result, "");
    }

    /** The exception for {@code result} returned by {@code call}. */
    public CudaException error(int result, String call) {
        return new CudaException(call, result, errorName(result), errorString(result));
    }

    private int callInit() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String errorText(MethodHandle handle, int result, String fallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) handle.invokeExact(result, out);
            MemorySegment text = out.get(ADDRESS, 0);
            if (r != CUDA_SUCCESS || text.address() == 0) {
                return fallback; // an unknown code: the driver sets no string
            }
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void check(int result, String call) {
        if (result != CUDA_SUCCESS) {
            throw error(result, call);
        }
    }

    private static void requireHost(MemorySegment host, long bytes) {
        if (!host.isNative()) {
            throw new IllegalArgumentException("CUDA copies need native (off-heap) host memory");
        }
        if (bytes < 0 || bytes > host.byteSize()) {
            throw new IndexOutOfBoundsException("copy of " + bytes + " bytes with a host segment of " + host.byteSize());
        }
    }

    private MethodHandle link(String symbol, MemoryLayout... arguments) {
        return LINKER.downcallHandle(library.symbol(symbol), FunctionDescriptor.of(JAVA_INT, arguments));
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
