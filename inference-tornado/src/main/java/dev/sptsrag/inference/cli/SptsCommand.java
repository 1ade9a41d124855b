package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.EngineException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The engine's command line: {@code spts <command>}. */
@Command(name = "spts", mixinStandardHelpOptions = true, version = "spts-rag engine 0.1.0",
        description = "Run, inspect, convert, calibrate, benchmark and evaluate LLMs with the spts-rag engine.",
        subcommands = {InfoCommand.class, GenerateCommand.class, ConvertCommand.class, BenchCommand.class, LoadBenchCommand.class,
                CalibrateCommand.class, EvalCommand.class, CommandLine.HelpCommand.class})
public final class SptsCommand {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line (tests redirect its output). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new SptsCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Typed engine errors and bad arguments are the user's to fix: print the reason, no stack trace.
            if (e instanceof EngineException || e instanceof IllegalArgumentException) {
                commandLine.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }
}
