package dev.sptsrag.service.web.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * An API key a request presented: unauthenticated as read from the headers, authenticated once it
 * matched the configured key. The key itself is the credential and is never the principal, so that it
 * never appears where principals are logged.
 */
public final class ApiKeyAuthentication extends AbstractAuthenticationToken {
    /** The one principal there is: a holder of the service's key. */
    public static final String PRINCIPAL = "api-key";

    private final String presented;

    private ApiKeyAuthentication(String presented, boolean authenticated) {
        super(authenticated ? AuthorityUtils.createAuthorityList("ROLE_API") : AuthorityUtils.NO_AUTHORITIES);
        this.presented = presented;
        setAuthenticated(authenticated);
    }

    static ApiKeyAuthentication presented(String key) {
        return new ApiKeyAuthentication(key, false);
    }

    static ApiKeyAuthentication accepted() {
        return new ApiKeyAuthentication(null, true);
    }

    @Override
    public Object getCredentials() {
        return presented;
    }

    @Override
    public Object getPrincipal() {
        return PRINCIPAL;
    }
}
