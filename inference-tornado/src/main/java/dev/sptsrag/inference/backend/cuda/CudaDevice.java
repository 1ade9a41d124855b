package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;
import dev.sptsrag.inference.DeviceOutOfMemoryException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * One GPU as the backend uses it: the driver, the device's primary context made current on the
 * calling thread, one stream, and the libraries (NVRTC, cuBLASLt) opened on demand.
 */
final class CudaDevice implements AutoCloseable {
    private static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private final CudaLibraries libraries;
    private final CudaDriver driver;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final Arena arena = Arena.ofShared();
    private final String name;
    private final String computeCapability;
    private final long totalBytes;
    private final int multiprocessors;
    private Thread boundThread;

    private CudaDevice(CudaLibraries libraries, CudaDriver driver, int device, MemorySegment context) {
        this.libraries = libraries;
        this.driver = driver;
        this.device = device;
        this.context = context;
        this.name = driver.deviceName(device);
        this.computeCapability = driver.computeCapability(device);
        this.totalBytes = driver.deviceTotalMemory(device);
        this.multiprocessors = driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        driver.setCurrentContext(context);
        this.boundThread = Thread.currentThread();
        this.stream = driver.streamCreate(CudaDriver.STREAM_DEFAULT);
    }

    /**
     * @throws BackendUnavailableException when the driver, the device, or BF16 tensor cores (compute
     *                                     capability 8.0+) are missing
     */
    static CudaDevice open(CudaOptions options) {
        CudaLibraries libraries = new CudaLibraries(options.libraries());
        CudaDriver driver = CudaDriver.open(libraries);
        int count = driver.deviceCount();
        if (count == 0) {
            throw new BackendUnavailableException("the CUDA driver (" + driver.library().location() + ") sees no GPU");
        }
        if (options.device() >= count) {
            throw new BackendUnavailableException("no CUDA device " + options.device() + "; this machine has " + count);
        }
        int device = driver.device(options.device());
        int major = driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        if (major < 8) {
            throw new BackendUnavailableException(driver.deviceName(device) + " has compute capability "
                    + driver.computeCapability(device) + "; the CUDA backend needs 8.0 or newer (BF16 tensor cores)");
        }
        return new CudaDevice(libraries, driver, device, driver.retainPrimaryContext(device));
    }

    CudaDriver driver() { return driver; }

    MemorySegment stream() { return stream; }

    Arena arena() { return arena; }

    String name() { return name; }

    /** "9.0" for an H100/H200. */
    String computeCapability() { return computeCapability; }

    long totalBytes() { return totalBytes; }

    int multiprocessors() { return multiprocessors; }

    long freeBytes() {
        bind();
        return driver.memGetInfo()[0];
    }

    /**
     * Makes this device's context current on the calling thread. The driver binds contexts per thread,
     * and the engine may be driven from different threads over its life (one at a time).
     */
    void bind() {
        Thread t = Thread.currentThread();
        if (t != boundThread) {
            driver.setCurrentContext(context);
            boundThread = t;
        }
    }

    /** PTX for this device from CUDA C, through the on-disk cache when {@code cacheDirectory} is set. */
    String compile(String source, String programName, Path cacheDirectory) {
        Nvrtc nvrtc = Nvrtc.open(libraries);
        List<String> options = List.of("--gpu-architecture=compute_" + computeCapability.replace(".", ""),
                "--std=c++17", "-default-device");
        if (cacheDirectory == null) {
            return nvrtc.compileToPtx(source, programName, options);
        }
        return new PtxCache(cacheDirectory).getOrCompile(source, programName, options, computeCapability,
                driver.driverVersion(), nvrtc.version(), nvrtc::compileToPtx);
    }

    CublasLt cublasLt() {
        return CublasLt.open(libraries);
    }

    long allocate(String what, long bytes) {
        bind();
        try {
            return driver.memAlloc(bytes);
        } catch (CudaException e) {
            if (e.code() == CUDA_ERROR_OUT_OF_MEMORY) {
                long free = driver.memGetInfo()[0];
                throw new DeviceOutOfMemoryException("allocating " + what + " (" + bytes + " bytes) on " + name
                        + " failed", bytes, free);
            }
            throw e;
        }
    }

    void free(long ptr) {
        driver.memFree(ptr);
    }

    /** Page-locked host memory: copies from it run at full bus speed. */
    MemorySegment allocateHost(long bytes) {
        bind();
        return driver.memAllocHost(bytes);
    }

    void freeHost(MemorySegment host) {
        driver.memFreeHost(host);
    }

    /** Synchronous: returns when the bytes are on the device, after the stream's earlier work. */
    void copyToDevice(long dst, MemorySegment src, long srcOffset, long bytes) {
        driver.memcpyHtoD(dst, srcOffset == 0 ? src : src.asSlice(srcOffset, bytes), bytes);
    }

    /** Synchronous: waits for the stream's earlier work, then copies. */
    void copyToHost(MemorySegment dst, long src, long bytes) {
        driver.memcpyDtoH(dst, src, bytes);
    }

    void copyDeviceToDevice(long dst, long src, long bytes) {
        driver.memcpyDtoDAsync(dst, src, bytes, stream);
    }

    void memset(long dst, int value, long bytes) {
        driver.memsetD8(dst, (byte) value, bytes);
    }

    @Override
    public void close() {
        bind();
        driver.streamSynchronize(stream);
        driver.streamDestroy(stream);
        driver.releasePrimaryContext(device);
        arena.close();
    }
}
