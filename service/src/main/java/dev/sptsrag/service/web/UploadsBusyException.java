package dev.sptsrag.service.web;

/** As many uploads as {@code spts.api.limits.max-concurrent-uploads} are being received or indexed; 429. */
public final class UploadsBusyException extends RuntimeException {
    private final int limit;

    public UploadsBusyException(int limit) {
        super(limit + " uploads are being received or indexed, the most at once (spts.api.limits.max-concurrent-uploads); "
                + "try again shortly");
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    public long retryAfterSeconds() {
        return 5;
    }
}
