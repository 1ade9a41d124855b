package dev.sptsrag.service.web.security;

import dev.sptsrag.service.web.ApiProperties;
import dev.sptsrag.service.web.ProblemResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationSuccessHandler;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Who may call the service, in Spring Security.
 *
 * <p><b>Deny by default.</b> With a key configured every request needs it except the few public ones
 * (health probes, {@code /actuator/info}, {@code /actuator/prometheus}, the OpenAPI description). The
 * rule is not "protect /api and /v1": a list of protected prefixes is what path tricks get around
 * ({@code /%61pi}, {@code /api;x=1}) when the check and the router read the path differently. Spring
 * Security matches the path the router sees, and its firewall refuses what the two could still read
 * differently (matrix parameters, encoded slashes, percents and dots, {@code ..}) with 400 before any
 * rule runs.
 *
 * <p><b>Browsers.</b> No cookies or sessions exist, so a browser never attaches a credential by itself
 * and CSRF tokens would protect nothing; what a page on another site can still do is send a simple
 * cross-site request (a form post of a multipart upload needs no preflight), which with no key configured
 * would be obeyed. So every cross-origin request (an {@code Origin} that is not this server's) is refused
 * with 403 unless {@code spts.api.allowed-origins} lists that origin; listed origins get ordinary CORS
 * answers (the key is then sent as a header, which a preflight allows).
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    /** Open without a key: the probes, the scraper, and the API's own description. */
    static final RequestMatcher PUBLIC = new OrRequestMatcher(
            get("/actuator/health"), get("/actuator/health/**"), get("/actuator/info"), get("/actuator/prometheus"),
            get("/v3/api-docs"), get("/v3/api-docs/**"));

    private static RequestMatcher get(String pattern) {
        return PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.GET, pattern);
    }

    @Bean
    SecurityFilterChain sptsSecurityFilterChain(HttpSecurity http, ApiProperties api) throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .cors(AbstractHttpConfigurer::disable) // ours below, with problem-detail refusals
                .addFilterAt(corsFilter(api.allowedOrigins()), CorsFilter.class)
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((request, response, ex) -> unauthorized(response,
                                "an API key is required: send Authorization: Bearer KEY or X-API-Key: KEY"))
                        .accessDeniedHandler((request, response, ex) -> ProblemResponses.write(response,
                                HttpStatus.FORBIDDEN, "forbidden", "permission_error", "not allowed", Map.of())));
        String key = api.requiredKey();
        if (key == null) {
            http.authorizeHttpRequests(a -> a.anyRequest().permitAll());
        } else {
            AuthenticationFilter keys = new AuthenticationFilter(new ProviderManager(new ApiKeyAuthenticationProvider(key)),
                    new ApiKeyAuthenticationConverter());
            keys.setSuccessHandler(new ContinueChain());
            keys.setFailureHandler((request, response, ex) -> unauthorized(response, message(ex)));
            http.addFilterAt(keys, BasicAuthenticationFilter.class)
                    .authorizeHttpRequests(a -> a.requestMatchers(PUBLIC).permitAll().anyRequest().authenticated());
        }
        return http.build();
    }

    /**
     * Requests the firewall refuses (matrix parameters, encoded separators…). Authentication comes first, as
     * for any other request: without the key the answer is the same 401 (a caller without the key learns
     * nothing about which paths are refused); with it, 400 and the reason.
     */
    @Bean
    RequestRejectedHandler sptsRequestRejectedHandler(ApiProperties api) {
        String key = api.requiredKey();
        ApiKeyAuthenticationProvider keys = key != null ? new ApiKeyAuthenticationProvider(key) : null;
        ApiKeyAuthenticationConverter converter = new ApiKeyAuthenticationConverter();
        return (request, response, ex) -> {
            if (keys != null) {
                try {
                    ApiKeyAuthentication presented = converter.convert(request);
                    if (presented == null) {
                        unauthorized(response, "an API key is required: send Authorization: Bearer KEY or X-API-Key: KEY");
                        return;
                    }
                    keys.authenticate(presented);
                } catch (AuthenticationException e) {
                    unauthorized(response, message(e));
                    return;
                }
            }
            ProblemResponses.write(response, HttpStatus.BAD_REQUEST, "invalid_request_path", "invalid_request_error",
                    "the request was refused: " + ex.getMessage(), Map.of());
        };
    }

    private static CorsFilter corsFilter(List<String> allowedOrigins) {
        CorsConfiguration cors = new CorsConfiguration();
        cors.setAllowedOrigins(allowedOrigins);
        cors.setAllowedMethods(List.of("GET", "POST", "DELETE", "OPTIONS"));
        cors.setAllowedHeaders(List.of(HttpHeaders.AUTHORIZATION, HttpHeaders.CONTENT_TYPE,
                ApiKeyAuthenticationConverter.HEADER));
        cors.setExposedHeaders(List.of(HttpHeaders.RETRY_AFTER));
        cors.setMaxAge(3600L);
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        source.registerCorsConfiguration("/**", cors); // every path: an unlisted origin is refused everywhere
        CorsFilter filter = new CorsFilter(source);
        filter.setCorsProcessor(new ProblemCorsProcessor());
        return filter;
    }

    /** After a key is accepted the request goes on to its handler (the default handler would redirect). */
    private static final class ContinueChain implements AuthenticationSuccessHandler {
        @Override
        public void onAuthenticationSuccess(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                                            Authentication authentication) throws IOException, ServletException {
            chain.doFilter(request, response);
        }

        @Override
        public void onAuthenticationSuccess(HttpServletRequest request, HttpServletResponse response,
                                            Authentication authentication) {
            throw new IllegalStateException("the API key filter always continues the chain");
        }
    }

    private static String message(AuthenticationException e) {
        return e.getMessage() != null ? e.getMessage() : "the API key is not valid";
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        ProblemResponses.write(response, HttpStatus.UNAUTHORIZED, "invalid_api_key", "invalid_request_error", detail,
                Map.of());
    }
}
