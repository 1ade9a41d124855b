package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.convert.GgufConverter;
import dev.sptsrag.inference.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code spts convert FOLDER OUT.gguf --type q8_0}. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a Hugging Face model folder (safetensors) to GGUF.")
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FOLDER", description = "Hugging Face model folder.")
    Path folder;

    @Parameters(index = "1", paramLabel = "OUT", description = "GGUF file to write.")
    Path output;

    @Option(names = "--type", defaultValue = "f16", description = "f32 | f16 | bf16 | q8_0 (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--force", description = "Overwrite OUT if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        GgmlType t;
        try {
            t = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type '" + type + "'; choose f32, f16, bf16 or q8_0");
        }
        if (Files.exists(output) && !force) {
            throw new IllegalArgumentException(output + " exists; pass --force to overwrite");
        }
        long t0 = System.nanoTime();
        GgufConverter.Result r = GgufConverter.convert(folder, output, t, err::println);
        spec.commandLine().getOut().printf("wrote %s: %s, %d tensors, %s, %.1f MiB in %.1f s%n", r.output(),
                r.config().name(), r.tensorCount(), r.type(), Files.size(output) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
