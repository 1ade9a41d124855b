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
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;

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
                if (i.field() != null) {
                    props.put("field", i.field());
                }
                yield new Problem(HttpStatus.BAD_REQUEST, "context_length_exceeded", "invalid_request_error", props, null);
            }
            case InvalidChatRequestException i -> {
                if (i.field() != null) {
                    props.put("field", i.field());
                }
                yield new Problem(HttpStatus.BAD_REQUEST, "invalid_request", "invalid_request_error", props, null);
            }
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
            case MaxUploadSizeExceededException m -> {
                props.put("field", "files");
                yield new Problem(HttpStatus.CONTENT_TOO_LARGE, "request_too_large", "invalid_request_error", props, null);
            }
            case MultipartException m -> { // a body that is not the multipart it says it is
                props.put("field", "files");
                yield new Problem(HttpStatus.BAD_REQUEST, "invalid_multipart", "invalid_request_error", props, null);
            }
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
        return ProblemResponses.error(reason(e), p.type(), p.code(),
                p.properties().get("field") instanceof String f ? f : null);
    }

    private static String reason(Throwable e) {
        if (e instanceof MultipartException m && !(m instanceof MaxUploadSizeExceededException)) {
            Throwable root = m;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return "the multipart body cannot be read: " + (root.getMessage() != null ? root.getMessage() : m.getMessage());
        }
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

    /** A body larger than its limit (found while reading it) is 413, not "unreadable". */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        for (Throwable c = ex; c != null; c = c.getCause()) {
            if (c instanceof RequestTooLargeException tooLarge) {
                Map<String, Object> props = new LinkedHashMap<>();
                props.put("limit", tooLarge.limit());
                ProblemDetail body = problem(tooLarge, new Problem(HttpStatus.CONTENT_TOO_LARGE, "request_too_large",
                        "invalid_request_error", props, null));
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(body);
            }
        }
        return super.handleHttpMessageNotReadable(ex, headers, status, request);
    }

    /**
     * Spring MVC's own refusals (unreadable JSON, a wrong media type or method, a missing parameter…) keep
     * Spring's status and text and gain what ours carry: {@code code}, the {@code field} where one is at
     * fault, and OpenAI's {@code error} object.
     */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
                                                             HttpStatusCode statusCode, WebRequest request) {
        if (ex instanceof AsyncRequestNotUsableException) {
            return null; // the client is gone: nothing can be written
        }
        ProblemDetail problem = body instanceof ProblemDetail p ? p
                : ProblemDetail.forStatusAndDetail(statusCode, reason(ex));
        if (problem.getProperties() == null || !problem.getProperties().containsKey("code")) {
            String code = springCode(ex, statusCode);
            String field = springField(ex);
            String detail = ex instanceof HttpMessageNotReadableException ? unreadable(ex, field) : problem.getDetail();
            problem.setDetail(detail);
            problem.setProperty("code", code);
            if (field != null) {
                problem.setProperty("field", field);
            }
            problem.setProperty("error", ProblemResponses.error(detail,
                    statusCode.is5xxServerError() ? "server_error" : "invalid_request_error", code, field));
        }
        return super.handleExceptionInternal(ex, problem, headers, statusCode, request);
    }

    private static String springCode(Exception e, HttpStatusCode status) {
        return switch (e) {
            case HttpMessageNotReadableException x -> "invalid_json";
            case HttpMediaTypeNotSupportedException x -> "unsupported_media_type";
            case HttpMediaTypeNotAcceptableException x -> "not_acceptable";
            case HttpRequestMethodNotSupportedException x -> "method_not_allowed";
            case MissingServletRequestParameterException x -> "missing_parameter";
            case MissingServletRequestPartException x -> "missing_parameter";
            case TypeMismatchException x -> "invalid_parameter";
            case NoResourceFoundException x -> "not_found";
            case MaxUploadSizeExceededException x -> "request_too_large";
            case AsyncRequestTimeoutException x -> "timeout";
            default -> status.is5xxServerError() ? "internal_error" : "invalid_request";
        };
    }

    /** The request field at fault in one of Spring's errors, when there is one. */
    static String springField(Exception e) {
        return switch (e) {
            case MissingServletRequestParameterException x -> x.getParameterName();
            case MissingServletRequestPartException x -> x.getRequestPartName();
            case TypeMismatchException x -> x.getPropertyName();
            case MaxUploadSizeExceededException x -> "files";
            case HttpMediaTypeNotSupportedException x -> "Content-Type";
            case HttpMessageNotReadableException x -> jsonPath(x);
            default -> null;
        };
    }

    /** {@code messages[0].content} for a JSON value that could not be bound; null when the body itself is broken. */
    private static String jsonPath(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof JacksonException d && !d.getPath().isEmpty()) {
                StringBuilder path = new StringBuilder();
                for (JacksonException.Reference r : d.getPath()) {
                    if (r.getPropertyName() != null) {
                        path.append(path.isEmpty() ? "" : ".").append(r.getPropertyName());
                    } else if (r.getIndex() >= 0) {
                        path.append('[').append(r.getIndex()).append(']');
                    }
                }
                return path.isEmpty() ? null : path.toString();
            }
        }
        return null;
    }

    /** Jackson's first line (what is wrong, where), without the request's text or Java class names. */
    private static String unreadable(Exception e, String field) {
        Throwable c = e.getCause();
        String what = c instanceof JacksonException j ? j.getOriginalMessage() : null;
        if (what == null) {
            return "the request body is not valid JSON";
        }
        what = what.replaceAll("`[a-z][\\w.$]*\\.([A-Z]\\w*)`", "$1");
        return field != null ? field + ": " + what : "the request body is not valid JSON: " + what;
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
