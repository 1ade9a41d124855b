package dev.sptsrag.retrieval.ingest;

/**
 * Limits that protect the service from documents it cannot afford to parse or index.
 *
 * @param maxBytes      largest file accepted, checked while reading (before parsing)
 * @param maxTextChars  most characters of extracted text (a small compressed PDF can hold a lot)
 * @param maxPages      most pages of a PDF
 */
public record IngestOptions(long maxBytes, int maxTextChars, int maxPages) {

    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    public static final int DEFAULT_MAX_TEXT_CHARS = 32 << 20;
    public static final int DEFAULT_MAX_PAGES = 5_000;

    public IngestOptions {
        if (maxBytes <= 0 || maxTextChars <= 0 || maxPages <= 0) {
            throw new IllegalArgumentException("ingest limits must be positive: maxBytes=" + maxBytes
                    + ", maxTextChars=" + maxTextChars + ", maxPages=" + maxPages);
        }
    }

    /** 64 MiB, 32 Mi characters, 5,000 pages. */
    public static IngestOptions defaults() {
        return new IngestOptions(DEFAULT_MAX_BYTES, DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_PAGES);
    }

    public IngestOptions withMaxBytes(long bytes) {
        return new IngestOptions(bytes, maxTextChars, maxPages);
    }

    public IngestOptions withMaxTextChars(int chars) {
        return new IngestOptions(maxBytes, chars, maxPages);
    }

    public IngestOptions withMaxPages(int pages) {
        return new IngestOptions(maxBytes, maxTextChars, pages);
    }
}
