package dev.sptsrag.service.web;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpStatus;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tomcat's answer to requests it refuses before the application sees them (an encoded slash or NUL in
 * the path, a malformed request line, headers over the limit) as a problem detail instead of Tomcat's
 * HTML page, so that every refusal a client gets has the same shape. Errors the application handled
 * already have a body and are left alone.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        HttpStatus s = known != null ? known : HttpStatus.BAD_REQUEST;
        String detail = status == 400 ? "the request is malformed (e.g. an encoded slash, backslash or NUL in the path, or "
                + "an invalid request line or header)" : s.getReasonPhrase();
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer w = response.getReporter();
            if (w != null) {
                w.write(ProblemResponses.json(s, status == 400 ? "invalid_request" : s.name().toLowerCase(java.util.Locale.ROOT),
                        s.is5xxServerError() ? "server_error" : "invalid_request_error", detail, Map.of()));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the connection is gone or the response could not be written: nothing more to say
        }
    }
}
