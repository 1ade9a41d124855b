package dev.sptsrag.service.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code spts.api.*}: who may call the API and how much one request may ask of the service.
 *
 * @param key            the API key clients must send (env {@code SPTS_API_KEY}; on the command line it would show
 *                       in {@code ps}); blank and no {@code keyFile}: no key required
 * @param keyFile        a file holding the key (e.g. a mounted Kubernetes Secret); surrounding whitespace is ignored
 * @param allowedOrigins browser origins ({@code https://app.example}) allowed to call the API cross-site; empty:
 *                       none, so a page on another site can neither read answers nor post documents
 * @param limits         request sizes and concurrency
 */
@ConfigurationProperties("spts.api")
public record ApiProperties(String key, Path keyFile, @DefaultValue List<String> allowedOrigins,
                            @DefaultValue Limits limits) {

    /**
     * @param maxBodySize       the largest request body other than an upload (a chat request, a question, a JSON
     *                          document); larger ones are refused with 413 before they are read
     * @param maxConcurrentUploads uploads received and indexed at once; one more is refused with 429
     * @param maxFilesPerUpload files in one multipart upload (they are indexed all or none); Tomcat's own part
     *                          limit, {@code server.tomcat.max-part-count}, must leave room for them
     */
    public record Limits(@DefaultValue("4MB") DataSize maxBodySize,
                         @DefaultValue("2") int maxConcurrentUploads,
                         @DefaultValue("100") int maxFilesPerUpload) {
        public Limits {
            if (maxConcurrentUploads < 1 || maxFilesPerUpload < 1) {
                throw new IllegalArgumentException("spts.api.limits: max-concurrent-uploads and max-files-per-upload "
                        + "must be positive");
            }
        }
    }

    /** The key to require: {@code key}, else the content of {@code keyFile}; null when none is configured. */
    public String requiredKey() {
        if (key != null && !key.isBlank()) {
            return key.strip();
        }
        if (keyFile != null) {
            try {
                String k = Files.readString(keyFile, StandardCharsets.UTF_8).strip();
                if (k.isEmpty()) {
                    throw new IllegalStateException("spts.api.key-file " + keyFile + " is empty");
                }
                return k;
            } catch (IOException e) {
                throw new UncheckedIOException("spts.api.key-file " + keyFile + " cannot be read: " + e.getMessage(), e);
            }
        }
        return null;
    }

    public boolean keyRequired() {
        return requiredKey() != null;
    }
}
