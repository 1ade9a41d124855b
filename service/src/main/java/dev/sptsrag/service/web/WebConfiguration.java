package dev.sptsrag.service.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** The API key filter, the startup warning about an open API, and the OpenAPI description's header. */
@Configuration(proxyBeanMethods = false)
public class WebConfiguration {
    private static final Logger log = LoggerFactory.getLogger(WebConfiguration.class);

    @Bean
    FilterRegistrationBean<ApiKeyFilter> apiKeyFilter(ApiProperties api) {
        FilterRegistrationBean<ApiKeyFilter> registration = new FilterRegistrationBean<>(
                new ApiKeyFilter(api.keyRequired() ? api.key() : ""));
        registration.addUrlPatterns("/v1/*", "/api/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        registration.setEnabled(api.keyRequired());
        return registration;
    }

    @EventListener
    void warnIfOpen(WebServerInitializedEvent event) {
        Environment env = event.getApplicationContext().getEnvironment();
        ApiProperties api = event.getApplicationContext().getBean(ApiProperties.class);
        openApiWarning(env.getProperty("server.address"), api.keyRequired(), event.getWebServer().getPort())
                .ifPresent(log::warn);
    }

    /** The warning for a server bound to {@code address} (null: every interface), if it deserves one. */
    static Optional<String> openApiWarning(String address, boolean keyRequired, int port) {
        if (keyRequired) {
            return Optional.empty();
        }
        boolean loopback;
        try {
            loopback = address != null && !address.isBlank() && InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        if (loopback) {
            return Optional.empty();
        }
        return Optional.of("the API on port " + port + " listens on " + (address == null || address.isBlank()
                ? "every network interface" : address) + " without an API key: anyone who can reach it can use the "
                + "model; set spts.api.key (SPTS_API_KEY) or server.address=127.0.0.1");
    }

    @Bean
    OpenAPI sptsOpenApi() {
        return new OpenAPI()
                .info(new Info().title("spts-rag").version("0.1.0")
                        .description("OpenAI-compatible chat completions over the spts-rag engine (SPTS skip budget per "
                                + "request as \"skip\") and the RAG API (/api/documents, /api/ask). Errors are "
                                + "RFC 9457 problem details."))
                .components(new Components().addSecuritySchemes("apiKey",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")))
                .addSecurityItem(new SecurityRequirement().addList("apiKey"));
    }
}
