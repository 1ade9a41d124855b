package dev.sptsrag.inference;

/**
 * The model's logits held a NaN or an infinity, so no token can be chosen. A working model never
 * produces them in float32; they come from broken weights (a damaged download, a bad conversion).
 */
public class NonFiniteLogitsException extends EngineException {
    private final int token;

    /** @param token the 1-based token being chosen: 1 is chosen from the prefill's logits, later ones in decode */
    public NonFiniteLogitsException(int token) {
        super("the model produced non-finite logits (NaN or infinity) "
                + (token == 1 ? "at the prefill (choosing token 1)" : "at token " + token + " (decode)")
                + ": its weights are probably corrupt; compare the model file with its source's checksum, or convert it again");
        this.token = token;
    }

    /** The 1-based token that could not be chosen (1: the first, from the prefill's logits). */
    public int token() { return token; }
}
