package dev.sptsrag.inference.tokenizer;

import java.util.List;

/**
 * The ids with a role in prompting and generation; -1 where the model has none.
 *
 * @param bos             beginning of sequence
 * @param eos             end of sequence (for chat models often the end-of-turn token)
 * @param eot             end of turn ({@code <|eot_id|>}, {@code <|im_end|>}), when the vocabulary has one
 * @param pad             padding
 * @param addBos          whether {@code encode(text, true)} prepends {@code bos}
 * @param addEos          whether {@code encode(text, true)} appends {@code eos}
 * @param endOfGeneration every id that ends generation: eos, eot and the family's other end
 *                        markers present as special tokens, ascending
 */
public record SpecialTokens(int bos, int eos, int eot, int pad, boolean addBos, boolean addEos,
                            List<Integer> endOfGeneration) {
    public SpecialTokens {
        endOfGeneration = endOfGeneration.stream().distinct().sorted().toList();
    }

    /** True for an id that should stop generation. */
    public boolean isEndOfGeneration(int id) {
        return endOfGeneration.contains(id);
    }

    /** Special-token texts that end a turn or a document in the supported families. */
    static final List<String> END_MARKERS = List.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end_of_text|>",
            "<|endoftext|>", "<|end|>", "<end_of_turn>", "<|end_of_turn|>");

    /** Candidate end-of-turn texts, in order of preference. */
    static final List<String> END_OF_TURN = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|end_of_turn|>");
}
