package dev.sptsrag.inference.backend.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Compiled PTX kept on disk, so a restart skips NVRTC. An entry is keyed by a SHA-256 over
 * everything that changes the PTX or whether the driver accepts it: source, program name, compile
 * options, compute capability, driver version and NVRTC version.
 *
 * <p>The cache never gets in the way: a directory that cannot be created or written only means
 * compiling every time, and an entry that is unreadable, empty or fails its checksum is a miss
 * (then rewritten). Entries are written to a temporary file and moved into place atomically, so
 * concurrent processes never read a half-written one.
 */
public final class PtxCache {

    /** Compiles CUDA C++ to PTX; {@link Nvrtc#compileToPtx} fits. */
    @FunctionalInterface
    public interface Compiler {
        String compile(String source, String programName, List<String> options);
    }

    private static final String MAGIC = "spts-ptx 1";
    private static final HexFormat HEX = HexFormat.of();

    private final Path directory;

    public PtxCache(Path directory) {
        this.directory = directory;
    }

    /** {@code $XDG_CACHE_HOME/spts-rag/ptx}, or {@code ~/.cache/spts-rag/ptx} without it. */
    public static Path defaultDirectory() {
        return defaultDirectory(System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultDirectory(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        // The XDG spec says to ignore a relative value.
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg) : Path.of(userHome, ".cache");
        return base.resolve("spts-rag").resolve("ptx");
    }

    public Path directory() {
        return directory;
    }

    /**
     * The PTX for this source and configuration: from the cache when present and intact, else from
     * {@code compiler} (then stored). Compile errors propagate and store nothing.
     */
    public String getOrCompile(String source, String programName, List<String> options, String computeCapability,
                               int driverVersion, String nvrtcVersion, Compiler compiler) {
        String key = key(source, programName, options, computeCapability, driverVersion, nvrtcVersion);
        Path entry = directory.resolve(fileName(programName, key));
        String cached = read(entry);
        if (cached != null) {
            return cached;
        }
        String ptx = compiler.compile(source, programName, options);
        write(entry, ptx);
        return ptx;
    }

    /** Where the entry for this configuration lives (present or not). */
    Path entryPath(String source, String programName, List<String> options, String computeCapability,
                   int driverVersion, String nvrtcVersion) {
        return directory.resolve(fileName(programName,
                key(source, programName, options, computeCapability, driverVersion, nvrtcVersion)));
    }

    static String key(String source, String programName, List<String> options, String computeCapability,
                      int driverVersion, String nvrtcVersion) {
        MessageDigest sha = sha256();
        // Each part is length-prefixed so that no two different configurations hash the same bytes.
        update(sha, source);
        update(sha, programName);
        update(sha, Integer.toString(options.size()));
        for (String option : options) {
            update(sha, option);
        }
        update(sha, computeCapability);
        update(sha, Integer.toString(driverVersion));
        update(sha, nvrtcVersion);
        return HEX.formatHex(sha.digest());
    }

    private static String fileName(String programName, String key) {
        String readable = programName.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (readable.length() > 64) {
            readable = readable.substring(0, 64);
        }
        return readable + "-" + key + ".ptx";
    }

    /** The stored PTX, or null when the entry is missing or damaged. */
    private static String read(Path entry) {
        String text;
        try {
            text = Files.readString(entry, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        int firstLine = text.indexOf('\n');
        int secondLine = firstLine < 0 ? -1 : text.indexOf('\n', firstLine + 1);
        if (secondLine < 0 || !text.substring(0, firstLine).equals(MAGIC)) {
            return null;
        }
        String checksum = text.substring(firstLine + 1, secondLine);
        String ptx = text.substring(secondLine + 1);
        if (ptx.isEmpty() || !checksum.equals(checksum(ptx))) {
            return null;
        }
        return ptx;
    }

    private void write(Path entry, String ptx) {
        Path temp = null;
        try {
            Files.createDirectories(directory);
            temp = Files.createTempFile(directory, ".ptx-", ".tmp");
            Files.writeString(temp, MAGIC + "\n" + checksum(ptx) + "\n" + ptx, StandardCharsets.UTF_8);
            try {
                Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, entry, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException | RuntimeException e) {
            // Unwritable or full: the PTX is still good, it just is not kept.
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // Nothing more to do about a stray temp file.
                }
            }
        }
    }

    private static String checksum(String ptx) {
        MessageDigest sha = sha256();
        sha.update(ptx.getBytes(StandardCharsets.UTF_8));
        return "sha256 " + HEX.formatHex(sha.digest());
    }

    private static void update(MessageDigest sha, String part) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) ':');
        sha.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
