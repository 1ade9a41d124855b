package dev.sptsrag.service.web.security;

import dev.sptsrag.service.web.ProblemResponses;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.cors.DefaultCorsProcessor;

import java.io.IOException;
import java.util.Map;

/** Spring's CORS checks, with a refusal that is a problem detail instead of a bare text line. */
final class ProblemCorsProcessor extends DefaultCorsProcessor {
    @Override
    protected void rejectRequest(ServerHttpResponse response) throws IOException {
        HttpServletResponse servlet = ((ServletServerHttpResponse) response).getServletResponse();
        ProblemResponses.write(servlet, HttpStatus.FORBIDDEN, "origin_not_allowed", "permission_error",
                "cross-origin requests from this origin are not allowed (spts.api.allowed-origins)", Map.of());
    }
}
