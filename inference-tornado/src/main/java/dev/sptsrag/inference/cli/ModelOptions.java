package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelPresets;
import dev.sptsrag.inference.tensor.GgmlType;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** How a command names its model: a file or folder, or a preset with synthetic weights. */
final class ModelOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "A .gguf file or a Hugging Face model folder.")
    Path path;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Use a known architecture with deterministic synthetic weights instead of a file "
                    + "(e.g. llama-3.2-1b, llama-3.1-8b, qwen2.5-7b); shapes only, no tokenizer.")
    String preset;

    @Option(names = "--seed-weights", defaultValue = "1", description = "Seed of the synthetic weights (default ${DEFAULT-VALUE}).")
    long weightSeed;

    @Option(names = "--preset-type", defaultValue = "f32",
            description = "Element type of a preset's synthetic matrices: f32 | bf16 (default ${DEFAULT-VALUE}).")
    String presetType;

    LoadedModel open() {
        if ((path == null) == (preset == null)) {
            throw new IllegalArgumentException("name a MODEL file/folder or a --preset (one of " + ModelPresets.names() + ")");
        }
        return path != null ? LoadedModel.open(path) : LoadedModel.synthetic(preset, weightSeed, presetMatrixType());
    }

    private GgmlType presetMatrixType() {
        return switch (presetType.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "bf16" -> GgmlType.BF16;
            default -> throw new IllegalArgumentException("--preset-type must be f32 or bf16, not '" + presetType + "'");
        };
    }
}
