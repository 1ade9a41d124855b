package dev.sptsrag.retrieval.ingest;

/** The document exceeds one of the {@link IngestOptions} limits (bytes, characters of text, pages). */
public class DocumentTooLargeException extends DocumentException {
    private final long size;
    private final long limit;
    private final String unit;

    public DocumentTooLargeException(String source, long size, long limit, String unit) {
        super(source, "too large: " + (size < 0 ? "more than " + limit : size) + " " + unit
                + " (the limit is " + limit + " " + unit + ")", null);
        this.size = size;
        this.limit = limit;
        this.unit = unit;
    }

    /** The size found, or -1 when reading stopped at the limit without knowing the full size. */
    public long size() { return size; }

    public long limit() { return limit; }

    /** What was counted: "bytes", "characters" or "pages". */
    public String unit() { return unit; }
}
