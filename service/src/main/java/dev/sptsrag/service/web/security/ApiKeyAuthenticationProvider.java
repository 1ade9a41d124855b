package dev.sptsrag.service.web.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/** Accepts a presented key equal to the configured one; compared in constant time (no timing oracle). */
final class ApiKeyAuthenticationProvider implements AuthenticationProvider {
    private final byte[] key;

    ApiKeyAuthenticationProvider(String key) {
        this.key = Objects.requireNonNull(key, "key").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        Object presented = authentication.getCredentials();
        if (presented instanceof String s && MessageDigest.isEqual(key, s.getBytes(StandardCharsets.UTF_8))) {
            return ApiKeyAuthentication.accepted();
        }
        throw new BadCredentialsException("the API key is not valid");
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return ApiKeyAuthentication.class.isAssignableFrom(authentication);
    }
}
