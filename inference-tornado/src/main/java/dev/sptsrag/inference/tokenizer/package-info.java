/**
 * Tokenizers and chat templates of the models the engine runs.
 *
 * <p>{@link dev.sptsrag.inference.tokenizer.Tokenizer} is byte-level BPE (Llama 3 and Qwen 2/3
 * families), loaded from a Hugging Face {@code tokenizer.json} or from GGUF metadata and equal to
 * Hugging Face {@code tokenizers} on both; {@link dev.sptsrag.inference.tokenizer.GgufTokenizerMetadata}
 * writes the GGUF form back. {@link dev.sptsrag.inference.tokenizer.TokenStreamDecoder} turns generated
 * ids into whole characters. {@link dev.sptsrag.inference.tokenizer.ChatTemplate} renders the model's
 * own Jinja2 chat template with Jinjava to the text {@code apply_chat_template} produces.
 *
 * <p>A rendered prompt already holds the template's BOS (Llama 3): encode it with
 * {@code encode(prompt)}, not {@code encode(prompt, true)}.
 */
package dev.sptsrag.inference.tokenizer;
