package dev.sptsrag.retrieval.index;

/**
 * What an ingest did.
 *
 * @param chunks         how many chunks the document became
 * @param tokens         their tokens in all (overlaps counted twice)
 * @param commitSequence the commit that made it durable, or -1 when it was indexed without a commit
 */
public record IngestReceipt(String collection, String documentId, int chunks, long tokens, long commitSequence) {

    public boolean durable() {
        return commitSequence >= 0;
    }
}
