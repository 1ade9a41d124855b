package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.BackendUnavailableException;

/**
 * A backend the engine can run on, found with {@link java.util.ServiceLoader} (listed in
 * {@code META-INF/services/dev.sptsrag.inference.backend.BackendProvider}), the way Lucene finds its
 * codecs: {@link BackendChoice} imports no backend, and a new backend is a new package plus one line in
 * that file.
 */
public interface BackendProvider {

    /** The name users choose it by ({@code --backend}, {@code spring.ai.spts.chat.backend}): lower case. */
    String name();

    /**
     * Where {@code auto} tries it: higher first. A backend that can always run (the CPU) is last, so
     * {@code auto} ends with it.
     */
    int autoPriority();

    /**
     * Opens the backend.
     *
     * @throws BackendUnavailableException when it cannot run here (a native library or device is
     *                                     missing), naming what is missing
     */
    Backend open(BackendSettings settings);
}
