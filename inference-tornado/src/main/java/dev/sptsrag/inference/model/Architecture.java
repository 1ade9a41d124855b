package dev.sptsrag.inference.model;

import dev.sptsrag.inference.UnsupportedModelException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The decoder families the engine runs. They share one forward pass; what differs between them is
 * data in {@link ModelConfig} (QKV bias, tied embeddings, RoPE layout), never code.
 */
public enum Architecture {
    LLAMA("llama", "LlamaForCausalLM"),
    MISTRAL("mistral", "MistralForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM");

    private final String ggufName;
    private final String huggingFaceClass;

    Architecture(String ggufName, String huggingFaceClass) {
        this.ggufName = ggufName;
        this.huggingFaceClass = huggingFaceClass;
    }

    /** The value of {@code general.architecture} in GGUF files. */
    public String ggufName() { return ggufName; }

    /** The class named in a Hugging Face {@code config.json}'s {@code architectures}. */
    public String huggingFaceClass() { return huggingFaceClass; }

    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw unsupported("GGUF architecture '" + name + "'");
    }

    /** From {@code architectures[0]} or, failing that, {@code model_type} of a config.json. */
    public static Architecture fromHuggingFace(String architectureClass, String modelType) {
        for (Architecture a : values()) {
            if (a.huggingFaceClass.equals(architectureClass)) {
                return a;
            }
        }
        if (architectureClass == null && modelType != null) {
            for (Architecture a : values()) {
                if (a.ggufName.equals(modelType.toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
        }
        throw unsupported("Hugging Face architecture '" + (architectureClass != null ? architectureClass : modelType) + "'");
    }

    private static UnsupportedModelException unsupported(String what) {
        String supported = Arrays.stream(values()).map(a -> a.huggingFaceClass + " (GGUF '" + a.ggufName + "')")
                .collect(Collectors.joining(", "));
        return new UnsupportedModelException(what + " is not supported; supported architectures: " + supported);
    }
}
