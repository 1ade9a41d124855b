package dev.sptsrag.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The spts-rag service: the engine as a Spring AI chat model, the OpenAI-compatible API, health and
 * metrics. Run with {@code --add-modules jdk.incubator.vector} and
 * {@code --spring.ai.spts.chat.model-path=MODEL} (a .gguf file or a Hugging Face folder).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SptsRagApplication {
    public static void main(String[] args) {
        SpringApplication.run(SptsRagApplication.class, args);
    }
}
