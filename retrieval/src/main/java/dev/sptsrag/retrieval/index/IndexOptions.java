package dev.sptsrag.retrieval.index;

import java.nio.file.Path;

/**
 * Where and how a {@link LuceneChunkIndex} keeps its data.
 *
 * @param directory   the index folder (created if missing); one index per folder, one writer per index
 * @param language    the analyzer of the text fields; must match the one the index was built with
 * @param ramBufferMb memory for buffered documents before Lucene writes a segment
 */
public record IndexOptions(Path directory, IndexLanguage language, double ramBufferMb) {

    public IndexOptions {
        if (directory == null || language == null) {
            throw new IllegalArgumentException("directory and language are required");
        }
        if (!(ramBufferMb >= 1)) {
            throw new IllegalArgumentException("ramBufferMb must be at least 1, got " + ramBufferMb);
        }
    }

    /** English analysis and a 64 MB buffer. */
    public static IndexOptions at(Path directory) {
        return new IndexOptions(directory, IndexLanguage.ENGLISH, 64);
    }

    public IndexOptions withLanguage(IndexLanguage language) {
        return new IndexOptions(directory, language, ramBufferMb);
    }
}
