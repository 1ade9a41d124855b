package dev.sptsrag.service.web;

import org.springframework.web.context.request.async.DeferredResult;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A non-streaming answer computed asynchronously, whose request ending for any reason (the async
 * timeout, an error the container reports, completion) cancels the answer's subscription, which takes
 * the question out of the engine's queue or stops its generation. Spring's own adapter for a returned
 * {@code Mono} cancels only on timeout.
 *
 * <p>Not yet: noticing a client that hangs up while its answer is computed. The Servlet API reports a
 * closed connection only through I/O, and a pending JSON answer does none; a probe that writes would
 * commit the status before the answer is known. Streams are cancelled at their next write.
 */
public final class CancellableAnswer {
    private CancellableAnswer() {
    }

    public static <T> DeferredResult<T> of(Mono<T> answer) {
        DeferredResult<T> result = new DeferredResult<>();
        Disposable subscription = answer.subscribe(result::setResult, result::setErrorResult);
        result.onError(e -> subscription.dispose());
        result.onTimeout(subscription::dispose);
        result.onCompletion(subscription::dispose);
        return result;
    }
}
