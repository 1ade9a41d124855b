package dev.sptsrag.service.web;

import dev.sptsrag.inference.ContextLengthExceededException;
import dev.sptsrag.retrieval.RetrievalException;
import dev.sptsrag.retrieval.ingest.DocumentException;
import dev.sptsrag.retrieval.ingest.DocumentParseException;
import dev.sptsrag.retrieval.ingest.DocumentTooLargeException;
import dev.sptsrag.retrieval.ingest.UnsupportedDocumentException;
import dev.sptsrag.service.ai.InvalidChatRequestException;
import dev.sptsrag.service.ai.ModelNotFoundException;
import dev.sptsrag.service.ops.EngineBusyException;
import dev.sptsrag.service.rag.DocumentNotFoundException;
import dev.sptsrag.service.ops.EngineState;
import dev.sptsrag.service.ops.EngineTimeoutException;
import dev.sptsrag.service.ops.EngineUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.retry.TransientAiException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * Every error as an RFC 9457 problem detail with the reason: 400 invalid input (a prompt longer than
 * the context carries {@code promptTokens} and {@code contextLength}; a bad field of the RAG API names
 * it in {@code field}) or an unreadable document, 404 unknown model or document, 413 a document over
 * the ingest limits, 415 a document type retrieval cannot read, 429 busy
 * (with {@code Retry-After}), 503 not ready, shutting down or timed out, 500 otherwise. Each problem
 * also carries OpenAI's {@code error} object ({@code message}, {@code type}, {@code code}) so that
 * OpenAI clients report the reason. Spring MVC's own errors (unreadable JSON, wrong media type…) come
 * from {@link ResponseEntityExceptionHandler}, also as problem details.
 */
@RestControllerAdvice
public class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    /** How one kind of failure is told to a client. */
    record Problem(HttpStatus status, String code, String type, Map<String, Object> properties, Long retryAfterSeconds) {
    }

    static Problem classify(Throwable e) {
        Map<String, Object> props = new LinkedHashMap<>();
        return switch (e) {
            case ModelNotFoundException m -> {
                props.put("model", m.requested());
                yield new Problem(HttpStatus.NOT_FOUND, "model_not_found", "invalid_request_error", props, null);
            }
            case InvalidChatRequestException i when i.getCause() instanceof ContextLengthExceededException c -> {
                props.put("promptTokens", c.promptTokens());
                props.put("contextLength", c.contextLength());
                if (c.requestedNewTokens() > 0) {
                    props.put("requestedNewTokens", c.requestedNewTokens());
                }
                yield new Problem(HttpStatus.BAD_REQUEST, "context_length_exceeded", "invalid_request_error", props, null);
            }
            case InvalidChatRequestException i ->
                    new Problem(HttpStatus.BAD_REQUEST, "invalid_request", "invalid_request_error", props, null);
            case InvalidApiRequestException i -> {
                if (i.field() != null) {
                    props.put("field", i.field());
                }
                yield new Problem(HttpStatus.BAD_REQUEST, "invalid_request", "invalid_request_error", props, null);
            }
            case DocumentNotFoundException d -> {
                props.put("collection", d.collection());
                props.put("documentId", d.documentId());
                yield new Problem(HttpStatus.NOT_FOUND, "document_not_found", "invalid_request_error", props, null);
            }
            case UnsupportedDocumentException u -> document(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_document", u, props);
            case DocumentTooLargeException t -> {
                props.put("limit", t.limit());
                props.put("unit", t.unit());
                yield document(HttpStatus.CONTENT_TOO_LARGE, "document_too_large", t, props);
            }
            case DocumentParseException p -> document(HttpStatus.BAD_REQUEST, "document_unreadable", p, props);
            case RetrievalException r -> new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "retrieval_error", "server_error", props, null);
            case EngineBusyException b -> {
                props.put("queueCapacity", b.queueCapacity());
                yield new Problem(HttpStatus.TOO_MANY_REQUESTS, "engine_busy", "rate_limit_error", props,
                        b.retryAfterSeconds());
            }
            case EngineUnavailableException u -> {
                props.put("state", u.state().name().toLowerCase(java.util.Locale.ROOT));
                yield new Problem(HttpStatus.SERVICE_UNAVAILABLE, "engine_unavailable", "server_error", props,
                        u.state() == EngineState.LOADING ? 5L : null);
            }
            case EngineTimeoutException t -> new Problem(HttpStatus.SERVICE_UNAVAILABLE, "timeout", "server_error", props, null);
            case TransientAiException t -> new Problem(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", "server_error", props, null);
            case CancellationException c -> new Problem(HttpStatus.SERVICE_UNAVAILABLE, "cancelled", "server_error", props, null);
            default -> new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", "server_error", props, null);
        };
    }

    private static Problem document(HttpStatus status, String code, DocumentException e, Map<String, Object> props) {
        props.put("source", e.source());
        return new Problem(status, code, "invalid_request_error", props, null);
    }

    /** OpenAI's error object for {@code e}: in problem details, and as the event of a stream that fails. */
    static Map<String, Object> openAiError(Throwable e) {
        Problem p = classify(e);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", reason(e));
        error.put("type", p.type());
        error.put("code", p.code());
        return error;
    }

    private static String reason(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The problem detail for {@code e}: a response's body, and the {@code error} event of a RAG stream that fails. */
    static ProblemDetail problem(Throwable e) {
        return problem(e, classify(e));
    }

    private static ProblemDetail problem(Throwable e, Problem p) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(p.status(), reason(e));
        body.setProperty("code", p.code());
        p.properties().forEach(body::setProperty);
        body.setProperty("error", openAiError(e));
        return body;
    }

    @ExceptionHandler(Exception.class)
    public ResponseEntity<ProblemDetail> handle(Exception e) {
        Problem p = classify(e);
        if (p.status().is5xxServerError() && p.status() != HttpStatus.SERVICE_UNAVAILABLE) {
            log.error("request failed: {}", e.getMessage(), e);
        }
        ProblemDetail body = problem(e, p);
        HttpHeaders headers = new HttpHeaders();
        if (p.retryAfterSeconds() != null) {
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(p.retryAfterSeconds()));
        }
        return ResponseEntity.status(p.status()).headers(headers).body(body);
    }
}
