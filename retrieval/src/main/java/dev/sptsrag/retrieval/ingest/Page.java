package dev.sptsrag.retrieval.ingest;

/** A page of a paginated document (PDF): its number from 1 and its text {@code [start, end)}. */
public record Page(int number, int start, int end) {
    public Page {
        if (number < 1 || start < 0 || end < start) {
            throw new IllegalArgumentException("bad page " + number + ": [" + start + ", " + end + ")");
        }
    }
}
