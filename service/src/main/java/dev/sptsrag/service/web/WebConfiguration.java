package dev.sptsrag.service.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jakarta.servlet.MultipartConfigElement;
import org.apache.catalina.Container;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.servlet.autoconfigure.MultipartProperties;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The web edge around the controllers: request limits, strict JSON binding, where uploads are spooled,
 * Tomcat's own error pages as problem details, the startup warning about an open API, and the OpenAPI
 * description's header. Authentication is {@code web.security}.
 */
@Configuration(proxyBeanMethods = false)
public class WebConfiguration {
    private static final Logger log = LoggerFactory.getLogger(WebConfiguration.class);

    /** After Spring Security's filters (order -100): a caller without the key gets its 401 before any limit. */
    static final int LIMITS_FILTER_ORDER = 0;

    @Bean
    FilterRegistrationBean<RequestLimitsFilter> requestLimitsFilter(ApiProperties api, MultipartProperties multipart) {
        RequestLimitsFilter filter = new RequestLimitsFilter(api.limits().maxBodySize().toBytes(),
                multipart.getMaxRequestSize().toBytes(), api.limits().maxConcurrentUploads());
        FilterRegistrationBean<RequestLimitsFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setOrder(LIMITS_FILTER_ORDER);
        return registration;
    }

    /**
     * JSON binds as written: a number is not a string ({@code {"question": 42}} is refused, not read as
     * "42"), a string is not a number, and a fraction is not an integer ({@code "topK": 1.5} is not 1).
     */
    @Bean
    JsonMapperBuilderCustomizer strictJsonBinding() {
        return builder -> builder
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
    }

    /**
     * Multipart uploads are spooled to {@code DATA_DIR/uploads} (not the system's temporary folder, where a
     * container may have little room and files left by a killed process are never cleaned): the folder is
     * created and emptied at startup, since no upload outlives the process that received it.
     */
    @Bean
    MultipartConfigElement multipartConfigElement(MultipartProperties multipart, @Value("${spts.data-dir:data}") Path dataDir) {
        Path spool = dataDir.resolve("uploads").toAbsolutePath();
        try {
            Files.createDirectories(spool);
            try (Stream<Path> left = Files.list(spool)) {
                left.filter(Files::isRegularFile).forEach(f -> {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException e) {
                        log.warn("cannot remove a spooled upload left by an earlier run: {}", f);
                    }
                });
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the upload folder " + spool + ": " + e.getMessage(), e);
        }
        multipart.setLocation(spool.toString());
        return multipart.createMultipartConfig();
    }

    /** Tomcat's error pages (requests refused before the application) as problem details. */
    @Bean
    WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> problemErrorPages() {
        return new ProblemErrorPages();
    }

    private static final class ProblemErrorPages implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>,
            Ordered {
            @Override
            public void customize(ConfigurableTomcatWebServerFactory factory) {
                factory.addContextCustomizers(context -> {
                    Container host = context.getParent();
                    if (host instanceof StandardHost h) { // the host adds a valve of this class when it starts
                        h.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                    }
                    for (Valve v : host.getPipeline().getValves()) { // Boot's HTML one, if it added it
                        if (v instanceof ErrorReportValve) {
                            host.getPipeline().removeValve(v);
                        }
                    }
                });
            }

            @Override
            public int getOrder() {
                return Ordered.LOWEST_PRECEDENCE; // after Boot's customizer, which adds the HTML valve
            }
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
