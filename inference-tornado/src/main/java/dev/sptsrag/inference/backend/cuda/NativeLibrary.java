package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

/**
 * One opened native library: its short name ({@code libcuda}), where it was found (a path, or the
 * soname the dynamic loader resolved) and its symbols.
 */
public record NativeLibrary(String name, String location, SymbolLookup symbols) {

    /** The address of {@code symbol}; a missing one means the library is older than these bindings. */
    public MemorySegment symbol(String symbol) {
        return symbols.find(symbol).orElseThrow(() -> new BackendUnavailableException(
                name + " at " + location + " has no symbol " + symbol
                        + ": it is older than the CUDA 13 API these bindings use; install a newer one"));
    }
}
