package dev.sptsrag.service.web;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code spts.api.*}.
 *
 * @param key the API key clients must send to {@code /v1/**} and {@code /api/**} (env {@code SPTS_API_KEY});
 *            blank: no key required
 */
@ConfigurationProperties("spts.api")
public record ApiProperties(String key) {
    public boolean keyRequired() {
        return key != null && !key.isBlank();
    }
}
