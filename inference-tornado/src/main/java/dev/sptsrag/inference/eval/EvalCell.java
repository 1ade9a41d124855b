package dev.sptsrag.inference.eval;

/**
 * One cell of the report: a task at a length under a mode, over its samples.
 *
 * @param accuracy         mean string_match_all in percent
 * @param accuracyVsFull   accuracy over FULL's accuracy on the same samples (NaN without FULL or when FULL scored 0)
 * @param meanTtftMillis   mean time to first token
 * @param meanPromptTokens mean real prompt length
 * @param meanGflops       mean prefill GFLOPs executed
 * @param flopsVsFull      prefill FLOPs executed over the full pass's on the same prompts
 * @param attentionKept    per layer, the mean fraction of the prompt whose attention ran
 * @param kvKept           mean fraction of the full KV cache kept
 */
public record EvalCell(String task, int length, EvalMode mode, int samples, double accuracy, double accuracyVsFull,
                       double meanTtftMillis, double meanPromptTokens, double meanGflops, double flopsVsFull,
                       double[] attentionKept, double kvKept) {

    public EvalCell {
        attentionKept = attentionKept.clone();
    }

    @Override
    public double[] attentionKept() {
        return attentionKept.clone();
    }

    /** The fraction of the prompt the last layer's attention kept. */
    public double deepestKept() {
        return attentionKept.length == 0 ? 1 : attentionKept[attentionKept.length - 1];
    }
}
