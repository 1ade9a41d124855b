package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.EngineException;

import java.util.List;

/** NVRTC rejected a kernel's CUDA C++ source; the message carries NVRTC's compile log. */
public class KernelCompilationException extends EngineException {

    private final String programName;
    private final String log;

    public KernelCompilationException(String programName, List<String> options, String status, String log) {
        super("NVRTC could not compile " + programName + " (" + status + ") with options " + options
                + (log.isBlank() ? "" : ":\n" + log.strip()));
        this.programName = programName;
        this.log = log;
    }

    public String programName() {
        return programName;
    }

    /** NVRTC's program log: the compiler's errors and warnings. */
    public String log() {
        return log;
    }
}
