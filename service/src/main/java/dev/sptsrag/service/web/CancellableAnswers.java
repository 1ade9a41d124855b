package dev.sptsrag.service.web;

import jakarta.servlet.ReadListener;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.DeferredResultProcessingInterceptor;
import org.springframework.web.context.request.async.WebAsyncUtils;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Non-streaming answers computed asynchronously, cancelled when their request ends for any reason: the
 * async timeout, an error the container reports, completion, or the client hanging up while it waits.
 * Cancelling disposes the answer's subscription, which takes the question out of the engine's queue or
 * stops its generation. (Spring's own adapter for a returned {@code Mono} cancels only on timeout.)
 *
 * <p>A hang-up is noticed by polling, because a waiting JSON answer does no I/O and the Servlet API
 * reports a closed connection only through I/O. With a {@link ReadListener} set, Tomcat answers
 * {@code available()} on a fully read body with a non-blocking read of the socket: end of stream (or a
 * reset) shows as available input. That is also how nginx tells a client gone ("499"): input or EOF
 * where none is expected. A client that half-closes its side after sending, or pipelines its next request
 * before reading this answer, is therefore taken as gone; common HTTP clients do neither.
 */
@Component
public final class CancellableAnswers implements DisposableBean {
    /** How often waiting requests are checked: one non-blocking read each, a hang-up noticed within it. */
    static final Duration HANG_UP_POLL = Duration.ofMillis(250);

    private static final ReadListener BODY_ALREADY_READ = new ReadListener() {
        @Override
        public void onDataAvailable() {
        }

        @Override
        public void onAllDataRead() {
        }

        @Override
        public void onError(Throwable t) {
        }
    };

    private final Set<Pending<?>> waiting = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("hang-up-watch").factory());

    public CancellableAnswers() {
        long every = HANG_UP_POLL.toMillis();
        poller.scheduleWithFixedDelay(this::checkForHangUps, every, every, TimeUnit.MILLISECONDS);
    }

    /** The answer as the request's async result; the request must have been read whole already. */
    public <T> DeferredResult<T> of(HttpServletRequest request, Mono<T> answer) {
        Pending<T> pending = new Pending<>(request);
        // Watched from the moment the request is asynchronous: a read listener can only be set then.
        WebAsyncUtils.getAsyncManager(request).registerDeferredResultInterceptor(pending,
                new DeferredResultProcessingInterceptor() {
                    @Override
                    public <R> void preProcess(NativeWebRequest webRequest, DeferredResult<R> result) {
                        pending.watch();
                    }
                });
        pending.subscription = answer.subscribe(pending::answered, pending::failed);
        pending.result.onError(e -> pending.cancel());
        pending.result.onTimeout(pending::cancel);
        pending.result.onCompletion(pending::cancel);
        return pending.result;
    }

    private void checkForHangUps() {
        for (Pending<?> p : waiting) {
            if (p.hungUp()) {
                p.cancel();
                // Spring's own signal for a client that is gone: no response is written.
                p.result.setErrorResult(new AsyncRequestNotUsableException(
                        "the client closed the connection before its answer was ready"));
            }
        }
    }

    @Override
    public void destroy() {
        poller.shutdownNow();
    }

    private final class Pending<T> {
        final DeferredResult<T> result = new DeferredResult<>();
        final HttpServletRequest request;
        volatile Disposable subscription;
        /** Guarded by {@code this}: once ended, the socket is Tomcat's again (the response may be written). */
        private boolean ended;

        Pending(HttpServletRequest request) {
            this.request = request;
        }

        void watch() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                try {
                    request.getInputStream().setReadListener(BODY_ALREADY_READ);
                } catch (IOException | IllegalStateException e) {
                    return; // not watchable (e.g. a body read as characters); still cancelled when the request ends
                }
            }
            waiting.add(this);
        }

        synchronized boolean hungUp() {
            if (ended) {
                return false;
            }
            try {
                return request.getInputStream().available() > 0;
            } catch (IOException | IllegalStateException e) {
                return true;
            }
        }

        void answered(T value) {
            end();
            result.setResult(value);
        }

        void failed(Throwable e) {
            end();
            result.setErrorResult(e);
        }

        void cancel() {
            end();
            Disposable s = subscription;
            if (s != null) {
                s.dispose();
            }
        }

        /** Stops the polling before anything else may touch the connection. */
        private void end() {
            synchronized (this) {
                ended = true;
            }
            waiting.remove(this);
        }
    }
}
