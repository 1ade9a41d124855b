package dev.sptsrag.inference.backend;

/**
 * What a caller may set when a backend opens; each backend reads what applies to it and its own
 * defaults cover the rest.
 *
 * @param threads CPU threads (≤ 0: all processors); the CPU backend's
 */
public record BackendSettings(int threads) {

    /** {@code threads}, with ≤ 0 resolved to the processors this JVM may use. */
    public int threadsOrAll() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
