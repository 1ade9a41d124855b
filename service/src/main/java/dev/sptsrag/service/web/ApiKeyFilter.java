package dev.sptsrag.service.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * With an API key configured, requests to the API ({@code /v1/**}, {@code /api/**}) must carry it as
 * {@code Authorization: Bearer KEY} or {@code X-API-Key: KEY}; otherwise 401 as a problem detail.
 * Actuator and the OpenAPI description stay open (probes and scrapers need them).
 */
public final class ApiKeyFilter extends OncePerRequestFilter {
    private final byte[] key;

    public ApiKeyFilter(String key) {
        this.key = key.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !(path.startsWith("/v1/") || path.equals("/v1") || path.startsWith("/api/") || path.equals("/api"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String given = request.getHeader("X-API-Key");
        String auth = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (given == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = auth.substring(7).trim();
        }
        if (given != null && MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(request, response);
            return;
        }
        String detail = given == null ? "an API key is required: send Authorization: Bearer KEY or X-API-Key: KEY"
                : "the API key is not valid";
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\""
                + detail + "\",\"instance\":\"" + request.getRequestURI().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\",\"code\":\"invalid_api_key\",\"error\":{\"message\":\"" + detail
                + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
    }
}
