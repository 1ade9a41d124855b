package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bindings against a real GPU: driver, NVRTC and cuBLASLt end to end. Skipped where no CUDA
 * driver or device is found (every machine without a GPU, CI included).
 */
class CudaDriverSmokeTest {

    private static final String ADD_ONE = """
            extern "C" __global__ void add_one(float* x, int n) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) {
                    x[i] += 1.0f;
                }
            }
            """;

    private static CudaLibraries libraries;
    private static CudaDriver driver;
    private static int device;
    private static MemorySegment context;

    @TempDir
    Path cacheDir;

    @BeforeAll
    static void openDevice() {
        libraries = new CudaLibraries(CudaLibraryPaths.defaults());
        try {
            driver = CudaDriver.open(libraries);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "no usable CUDA driver: " + e.getMessage());
        }
        assumeTrue(driver.deviceCount() > 0, "the CUDA driver sees no device");
        device = driver.device(0);
        context = driver.retainPrimaryContext(device);
    }

    @BeforeEach
    void makeCurrent() {
        driver.setCurrentContext(context);
    }

    @AfterAll
    static void release() {
        if (context != null) {
            driver.releasePrimaryContext(device);
        }
    }

    @Test
    void describesTheDevice() {
        String cc = driver.computeCapability(device);
        long[] info = driver.memGetInfo();
        System.out.printf("CUDA: %s, CC %s, %d SMs, driver %d, %d/%d MiB free, opt-in shared %d bytes, libcuda %s%n",
                driver.deviceName(device), cc,
                driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
                driver.driverVersion(), info[0] >> 20, info[1] >> 20,
                driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device),
                driver.library().location());

        assertFalse(driver.deviceName(device).isBlank());
        assertTrue(cc.matches("\\d+\\.\\d+"), cc);
        assertTrue(driver.driverVersion() >= 12000);
        assertTrue(driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device) > 0);
        assertEquals(32, driver.deviceAttribute(CudaDriver.DEVICE_ATTRIBUTE_WARP_SIZE, device));
        assertTrue(info[0] > 0 && info[0] <= info[1]);
        assertEquals(driver.deviceTotalMemory(device), info[1]);
    }

    @Test
    void copiesRoundTripSynchronouslyAndOnAStream() {
        long bytes = 1 << 20;
        long dev = driver.memAlloc(bytes);
        long dev2 = driver.memAlloc(bytes);
        MemorySegment pinned = driver.memAllocHost(bytes);
        MemorySegment stream = driver.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
        MemorySegment start = driver.eventCreate(CudaDriver.EVENT_DEFAULT);
        MemorySegment end = driver.eventCreate(CudaDriver.EVENT_DEFAULT);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(bytes);
            MemorySegment dst = arena.allocate(bytes);
            for (long i = 0; i < bytes; i++) {
                src.set(JAVA_BYTE, i, (byte) (i * 31 + 7));
            }

            driver.memcpyHtoD(dev, src, bytes);
            driver.memcpyDtoH(dst, dev, bytes);
            assertEquals(-1, src.mismatch(dst));

            driver.memsetD8(dev2, (byte) 0x5a, bytes);
            driver.memcpyDtoH(dst, dev2, bytes);
            assertEquals(0x5a, dst.get(JAVA_BYTE, bytes - 1));

            driver.memcpyDtoD(dev2, dev, bytes);
            driver.memcpyDtoH(dst, dev2, bytes);
            assertEquals(-1, src.mismatch(dst));

            driver.eventRecord(start, stream);
            driver.memsetD32Async(dev, Float.floatToRawIntBits(2.5f), bytes / 4, stream);
            driver.memcpyDtoDAsync(dev2, dev, bytes, stream);
            driver.memcpyDtoHAsync(pinned, dev2, bytes, stream);
            driver.eventRecord(end, stream);
            driver.streamSynchronize(stream);
            driver.eventSynchronize(end);
            assertEquals(2.5f, pinned.getAtIndex(JAVA_FLOAT, bytes / 4 - 1));
            assertTrue(driver.eventElapsedMillis(start, end) >= 0f);

            driver.memcpyHtoDAsync(dev, src, bytes, stream);
            driver.memcpyDtoHAsync(pinned, dev, bytes, stream);
            driver.streamSynchronize(stream);
            assertEquals(-1, src.mismatch(pinned));
            driver.synchronizeContext();
        } finally {
            driver.eventDestroy(end);
            driver.eventDestroy(start);
            driver.streamDestroy(stream);
            driver.memFreeHost(pinned);
            driver.memFree(dev2);
            driver.memFree(dev);
        }
    }

    @Test
    void errorsCarryTheDriversName() {
        CudaException e = assertThrows(CudaException.class, () -> driver.memAlloc(1L << 50));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertEquals(2, e.code());
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)"), e.getMessage());
    }

    @Test
    void compilesLoadsAndLaunchesAKernel() {
        Nvrtc nvrtc = openNvrtc();
        String cc = driver.computeCapability(device);
        List<String> options = List.of("--gpu-architecture=compute_" + cc.replace(".", ""), "-default-device");
        List<String> compiled = new ArrayList<>();
        PtxCache cache = new PtxCache(cacheDir);
        PtxCache.Compiler counting = (s, n, o) -> {
            compiled.add(n);
            return nvrtc.compileToPtx(s, n, o);
        };
        String ptx = cache.getOrCompile(ADD_ONE, "add_one.cu", options, cc, driver.driverVersion(), nvrtc.version(), counting);
        assertEquals(ptx, cache.getOrCompile(ADD_ONE, "add_one.cu", options, cc, driver.driverVersion(), nvrtc.version(),
                counting));
        assertEquals(1, compiled.size(), "second request served from the cache");
        assertTrue(ptx.contains(".entry add_one"), ptx);

        int n = 1000;
        MemorySegment module = driver.moduleLoadData(ptx);
        long x = driver.memAlloc(n * 4L);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) {
                host.setAtIndex(JAVA_FLOAT, i, i * 0.5f);
            }
            driver.memcpyHtoD(x, host, n * 4L);
            MemorySegment addOne = driver.function(module, "add_one");
            KernelArgs args = new KernelArgs(arena, 2).setPointer(0, x).setInt(1, n);
            for (int launch = 0; launch < 3; launch++) {
                driver.launch(addOne, (n + 255) / 256, 1, 1, 256, 1, 1, 0, MemorySegment.NULL, args);
            }
            driver.memcpyDtoH(host, x, n * 4L);
            for (int i = 0; i < n; i++) {
                assertEquals(i * 0.5f + 3f, host.getAtIndex(JAVA_FLOAT, i), "x[" + i + "]");
            }
            CudaException missing = assertThrows(CudaException.class, () -> driver.function(module, "absent"));
            assertEquals("CUDA_ERROR_NOT_FOUND", missing.errorName());
        } finally {
            driver.memFree(x);
            driver.moduleUnload(module);
        }
    }

    @Test
    void compileErrorsCarryNvrtcsLog() {
        Nvrtc nvrtc = openNvrtc();
        KernelCompilationException e = assertThrows(KernelCompilationException.class,
                () -> nvrtc.compileToPtx("extern \"C\" __global__ void broken(float* x) { x[0] = y; }", "broken.cu",
                        List.of("--gpu-architecture=compute_90")));
        assertTrue(e.log().contains("identifier \"y\" is undefined"), e.log());
        assertTrue(e.getMessage().contains("broken.cu"), e.getMessage());
    }

    @Test
    void cublasLtGemmMatchesAReferenceOnBf16Inputs() {
        CublasLt lt;
        try {
            lt = CublasLt.open(libraries);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "no cuBLASLt: " + e.getMessage());
            return;
        }
        System.out.println("cuBLASLt " + lt.version() + " from " + lt.library().location());
        long workspace = driver.memAlloc(CublasLtGemm.RECOMMENDED_WORKSPACE_BYTES);
        try (CublasLtGemm gemm = new CublasLtGemm(lt)) {
            checkGemm(gemm, workspace, 3, 64, 5, CublasLtGemm.OutType.FLOAT32);
            checkGemm(gemm, workspace, 3, 64, 5, CublasLtGemm.OutType.FLOAT32);
            assertEquals(1, gemm.cachedPlans(), "a repeated shape reuses its plan");
            checkGemm(gemm, workspace, 1, 896, 4864, CublasLtGemm.OutType.FLOAT32);
            checkGemm(gemm, workspace, 17, 256, 96, CublasLtGemm.OutType.BFLOAT16);
            assertEquals(3, gemm.cachedPlans());
        } finally {
            driver.memFree(workspace);
            lt.close();
        }
    }

    private void checkGemm(CublasLtGemm gemm, long workspace, int rows, int in, int out, CublasLtGemm.OutType type) {
        Random random = new Random(rows * 1_000_003L + in * 31L + out);
        float[] w = bf16Rounded(random, out * in);
        float[] x = bf16Rounded(random, rows * in);
        int outBytes = type == CublasLtGemm.OutType.FLOAT32 ? 4 : 2;
        long wDev = driver.memAlloc(w.length * 2L);
        long xDev = driver.memAlloc(x.length * 2L);
        long yDev = driver.memAlloc((long) rows * out * outBytes);
        MemorySegment stream = driver.streamCreate(CudaDriver.STREAM_NON_BLOCKING);
        try (Arena arena = Arena.ofConfined()) {
            driver.memcpyHtoD(wDev, toBf16(arena, w), w.length * 2L);
            driver.memcpyHtoD(xDev, toBf16(arena, x), x.length * 2L);
            driver.memsetD8(yDev, (byte) 0x7f, (long) rows * out * outBytes); // garbage: beta = 0 must ignore it

            gemm.matmul(wDev, xDev, yDev, rows, in, out, type, workspace, CublasLtGemm.RECOMMENDED_WORKSPACE_BYTES, stream);
            driver.streamSynchronize(stream);

            MemorySegment y = arena.allocate((long) rows * out * outBytes);
            driver.memcpyDtoH(y, yDev, y.byteSize());
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int i = 0; i < in; i++) {
                        double p = (double) w[o * in + i] * x[r * in + i];
                        sum += p;
                        magnitude += Math.abs(p);
                    }
                    int at = r * out + o;
                    double got = type == CublasLtGemm.OutType.FLOAT32
                            ? y.getAtIndex(JAVA_FLOAT, at)
                            : Float.intBitsToFloat((y.getAtIndex(JAVA_SHORT, at) & 0xffff) << 16);
                    double tolerance = type == CublasLtGemm.OutType.FLOAT32
                            ? 1e-5 * magnitude + 1e-30
                            : Math.abs(sum) / 128 + 1e-5 * magnitude;
                    assertEquals(sum, got, tolerance, type + " y[" + r + "][" + o + "] of " + rows + "x" + in + "x" + out);
                }
            }
        } finally {
            driver.streamDestroy(stream);
            driver.memFree(yDev);
            driver.memFree(xDev);
            driver.memFree(wDev);
        }
    }

    private static Nvrtc openNvrtc() {
        try {
            return Nvrtc.open(libraries);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "no NVRTC: " + e.getMessage());
            throw e;
        }
    }

    /** Random floats already representable in BF16, so host and device multiply the same values. */
    private static float[] bf16Rounded(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat((bf16Bits((float) random.nextGaussian()) & 0xffff) << 16);
        }
        return v;
    }

    private static MemorySegment toBf16(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(JAVA_SHORT, v.length);
        for (int i = 0; i < v.length; i++) {
            s.setAtIndex(JAVA_SHORT, i, bf16Bits(v[i]));
        }
        return s;
    }

    /** Round to nearest even (no NaNs here). */
    private static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }
}
