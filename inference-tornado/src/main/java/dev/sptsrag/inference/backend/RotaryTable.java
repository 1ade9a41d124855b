package dev.sptsrag.inference.backend;

/** Rotary frequencies as a backend keeps them; made by {@link Backend#createRotaryTable}. */
public interface RotaryTable {
    RotaryEmbedding rotary();
}
