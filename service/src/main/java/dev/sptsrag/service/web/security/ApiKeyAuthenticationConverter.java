package dev.sptsrag.service.web.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Reads the key a request presents: {@code Authorization: Bearer KEY} (what OpenAI clients send) or
 * {@code X-API-Key: KEY}. No header: null, so the request goes on unauthenticated and is refused by
 * authorization with 401 where a key is needed; an {@code Authorization} header of another scheme, or
 * both headers with different keys, is a bad credential rather than something to guess about.
 */
final class ApiKeyAuthenticationConverter implements AuthenticationConverter {
    static final String HEADER = "X-API-Key";
    private static final String BEARER = "Bearer ";

    @Override
    public ApiKeyAuthentication convert(HttpServletRequest request) {
        String header = request.getHeader(HEADER);
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        String bearer = null;
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                throw new BadCredentialsException("the Authorization header must use the Bearer scheme");
            }
            bearer = authorization.substring(BEARER.length()).strip();
        }
        if (header != null && bearer != null && !header.strip().equals(bearer)) {
            throw new BadCredentialsException("Authorization and " + HEADER + " carry different keys");
        }
        String key = bearer != null ? bearer : header != null ? header.strip() : null;
        return key == null ? null : ApiKeyAuthentication.presented(key);
    }
}
