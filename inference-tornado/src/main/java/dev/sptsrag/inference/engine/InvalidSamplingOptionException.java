package dev.sptsrag.inference.engine;

/** A sampling option outside its range; {@link #option()} names it as {@link SamplingOptions} does. */
public final class InvalidSamplingOptionException extends IllegalArgumentException {
    private final String option;

    public InvalidSamplingOptionException(String option, Object value, String allowed) {
        super("invalid sampling option " + option + " = " + value + ": must be " + allowed);
        this.option = option;
    }

    public String option() {
        return option;
    }
}
