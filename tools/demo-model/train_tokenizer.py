#!/usr/bin/env python3
"""Trains the demo model's byte-level BPE tokenizer (Qwen 2 split rules, so single digits) on the
training filler and generated task text. Deterministic for a given corpus; writes tokenizer/."""
import json, pathlib, random, sys
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, decoders, normalizers, trainers
import tasks

QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


class CharCounter:  # generators only need rough lengths while the real tokenizer does not exist yet
    class E:
        def __init__(self, n): self.ids = range(n)
    def encode(self, text, add_special_tokens=False): return self.E(len(text) // 4)


def corpus(seed=1):
    rng = random.Random(seed)
    gen = tasks.Generator(CharCounter(), tasks.load_filler(held_out=False), rng)
    yield from gen.filler
    for _ in range(400):
        for fam in tasks.FAMILIES:
            s = gen.generate(fam, rng.choice([512, 1024]))
            yield "".join(t for t, _ in tasks.chat_pieces(s))


def main(out_dir, vocab_size=4096):
    tok = Tokenizer(models.BPE(ignore_merges=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer=trainer)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "add_bos_token": False, "chat_template": tasks.CHAT_TEMPLATE,
        "model_max_length": 16384, "tokenizer_class": "PreTrainedTokenizerFast"}, indent=1))
    print(f"vocabulary {tok.get_vocab_size()} -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(__file__).parent / "tokenizer"))
