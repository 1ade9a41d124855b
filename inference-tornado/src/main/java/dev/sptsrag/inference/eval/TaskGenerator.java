package dev.sptsrag.inference.eval;

import java.util.SplittableRandom;

/** Makes samples of one task family (docs/tasks.md); the same random stream gives the same sample. */
interface TaskGenerator {

    /**
     * @param length target prompt length in tokens of the model's tokenizer, chat template included
     * @throws IllegalArgumentException when the family's items do not fit {@code length}
     */
    TaskSample generate(int length, SplittableRandom rnd);
}
