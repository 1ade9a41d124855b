package dev.sptsrag.service.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Bounds what one request may cost before any of it is read. A body that declares a length over its
 * limit is refused with 413 at once (the client's bytes are not read, so 8 such requests cost nothing);
 * a body sent without a length is counted as it is read and fails at the limit. Multipart uploads have
 * their own, larger limit ({@code spring.servlet.multipart.max-request-size}, which the container
 * enforces while it spools the parts to disk) and a bound on how many are received and indexed at once:
 * one more is 429 with {@code Retry-After}, not a queue of disk writes and parses.
 *
 * <p>Runs after authentication, so a caller without the key costs no more than a 401.
 */
public final class RequestLimitsFilter extends OncePerRequestFilter {
    /** An upload takes seconds: a client told to wait this long finds a slot more often than not. */
    static final long UPLOAD_RETRY_AFTER_SECONDS = 5;
    private final long maxBodyBytes;
    private final long maxUploadBytes;
    private final Semaphore uploads;
    private final int maxUploads;

    public RequestLimitsFilter(long maxBodyBytes, long maxUploadBytes, int maxConcurrentUploads) {
        this.maxBodyBytes = maxBodyBytes;
        this.maxUploadBytes = maxUploadBytes;
        this.maxUploads = maxConcurrentUploads;
        this.uploads = new Semaphore(maxConcurrentUploads);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String type = request.getContentType();
        boolean multipart = type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/");
        long limit = multipart ? maxUploadBytes : maxBodyBytes;
        long declared = request.getContentLengthLong();
        if (limit >= 0 && declared > limit) {
            response.setHeader(HttpHeaders.CONNECTION, "close"); // the unread body is not worth draining
            ProblemResponses.write(response, HttpStatus.CONTENT_TOO_LARGE, "request_too_large", "invalid_request_error",
                    "the request body (" + declared + " bytes) is larger than the limit of " + limit + " bytes ("
                            + (multipart ? "spring.servlet.multipart.max-request-size" : "spts.api.limits.max-body-size")
                            + ")", Map.of("limit", limit));
            return;
        }
        if (!multipart) {
            chain.doFilter(declared >= 0 ? request : new LimitedRequest(request, maxBodyBytes), response);
            return;
        }
        if (!uploads.tryAcquire()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(UPLOAD_RETRY_AFTER_SECONDS));
            response.setHeader(HttpHeaders.CONNECTION, "close");
            ProblemResponses.write(response, HttpStatus.TOO_MANY_REQUESTS, "uploads_busy", "rate_limit_error",
                    maxUploads + " uploads are being received or indexed, the most at once "
                            + "(spts.api.limits.max-concurrent-uploads); try again shortly", Map.of("limit", maxUploads));
            return;
        }
        try {
            chain.doFilter(request, response);
        } finally {
            uploads.release();
        }
    }

    /** A request whose body stream fails with {@link RequestTooLargeException} past {@code limit} bytes. */
    private static final class LimitedRequest extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;

        LimitedRequest(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new LimitedStream(super.getInputStream(), limit);
            }
            return stream;
        }
    }

    private static final class LimitedStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private long read;

        LimitedStream(ServletInputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws RequestTooLargeException {
            read += n;
            if (read > limit) {
                throw new RequestTooLargeException(limit);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
