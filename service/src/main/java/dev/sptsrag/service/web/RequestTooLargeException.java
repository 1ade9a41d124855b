package dev.sptsrag.service.web;

import java.io.IOException;

/**
 * A request body past its limit ({@code spts.api.limits.max-body-size}), found while it is read (a body
 * sent without a length); 413. An {@link IOException} because it is raised inside the body's stream,
 * where the JSON reader passes I/O failures on.
 */
public final class RequestTooLargeException extends IOException {
    private final long limit;

    public RequestTooLargeException(long limit) {
        super("the request body is larger than the limit of " + limit + " bytes (spts.api.limits.max-body-size)");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
