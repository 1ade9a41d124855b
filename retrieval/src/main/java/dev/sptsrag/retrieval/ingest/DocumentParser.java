package dev.sptsrag.retrieval.ingest;

/**
 * Turns one format's bytes into a {@link ParsedDocument}. Implementations are stateless and safe to
 * share between threads; {@link DocumentLoader} picks one by format and enforces the byte limit before
 * calling it.
 */
public interface DocumentParser {

    DocumentFormat format();

    /**
     * @param source  the document's name, used in its {@code source} and in error messages
     * @param content the whole file
     * @throws DocumentParseException        if the content is corrupt or holds no text
     * @throws UnsupportedDocumentException  if the content is of a kind this parser does not read
     * @throws DocumentTooLargeException     if the text or page count passes the options' limits
     */
    ParsedDocument parse(String source, byte[] content, IngestOptions options);
}
