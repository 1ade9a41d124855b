package dev.sptsrag.inference;

/** The prompt plus the tokens to generate do not fit the context window. */
public class ContextLengthExceededException extends EngineException {
    private final int promptTokens;
    private final int requestedNewTokens;
    private final int contextLength;

    public ContextLengthExceededException(int promptTokens, int requestedNewTokens, int contextLength) {
        super("prompt of " + promptTokens + " tokens" + (requestedNewTokens > 0 ? " + " + requestedNewTokens + " new tokens" : "")
                + " exceeds the context window of " + contextLength + " tokens");
        this.promptTokens = promptTokens;
        this.requestedNewTokens = requestedNewTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() { return promptTokens; }

    public int requestedNewTokens() { return requestedNewTokens; }

    public int contextLength() { return contextLength; }
}
