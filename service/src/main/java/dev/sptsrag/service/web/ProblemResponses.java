package dev.sptsrag.service.web;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Problem details written straight to a servlet response, for refusals that happen before Spring MVC
 * runs (authentication, the CORS check, the request firewall, size limits, the servlet container's own
 * errors). The body has the fields {@link ProblemDetailsAdvice} writes: RFC 9457's, {@code code}, any
 * extra properties, and OpenAI's {@code error} object.
 */
public final class ProblemResponses {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ProblemResponses() {
    }

    /** The body as a map in the order a reader expects: type, title, status, detail, then ours. */
    public static Map<String, Object> body(HttpStatus status, String code, String type, String detail,
                                           Map<String, Object> properties) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", status.getReasonPhrase());
        body.put("status", status.value());
        body.put("detail", detail);
        body.put("code", code);
        body.putAll(properties);
        body.put("error", error(detail, type, code, properties.get("field") instanceof String f ? f : null));
        return body;
    }

    /** OpenAI's error object, which OpenAI clients show: the message, type, code and ({@code param}) the field. */
    public static Map<String, Object> error(String message, String type, String code, String field) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        if (field != null) {
            error.put("param", field);
        }
        return error;
    }

    public static String json(HttpStatus status, String code, String type, String detail, Map<String, Object> properties) {
        return JSON.writeValueAsString(body(status, code, type, detail, properties));
    }

    /** Writes the problem unless the response is already committed (then nothing can be said). */
    public static void write(HttpServletResponse response, HttpStatus status, String code, String type, String detail,
                             Map<String, Object> properties) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write(json(status, code, type, detail, properties));
        response.flushBuffer();
    }
}
