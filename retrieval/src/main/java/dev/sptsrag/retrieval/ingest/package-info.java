/**
 * Ingestion: a file's bytes to a {@link dev.sptsrag.retrieval.ingest.ParsedDocument}.
 *
 * <p>{@link dev.sptsrag.retrieval.ingest.DocumentLoader} is the entry point: it reads within
 * {@link dev.sptsrag.retrieval.ingest.IngestOptions} (bytes, characters, PDF pages), recognises the
 * {@link dev.sptsrag.retrieval.ingest.DocumentFormat} by extension and then by content, and calls that
 * format's {@link dev.sptsrag.retrieval.ingest.DocumentParser}:
 * {@link dev.sptsrag.retrieval.ingest.PlainTextParser},
 * {@link dev.sptsrag.retrieval.ingest.MarkdownParser} (CommonMark; headings with GitHub anchors),
 * {@link dev.sptsrag.retrieval.ingest.HtmlParser} (jsoup; main content only, boilerplate dropped) and
 * {@link dev.sptsrag.retrieval.ingest.PdfParser} (PDFBox; pages, bookmarks as sections).
 *
 * <p>Every parser produces the same layout: paragraphs separated by one blank line,
 * {@link dev.sptsrag.retrieval.ingest.Section}s and {@link dev.sptsrag.retrieval.ingest.Page}s as character
 * spans of that text. A document that cannot be read fails with a
 * {@link dev.sptsrag.retrieval.ingest.DocumentException} naming it and the reason:
 * {@link dev.sptsrag.retrieval.ingest.UnsupportedDocumentException} (unknown type, binary, password),
 * {@link dev.sptsrag.retrieval.ingest.DocumentParseException} (corrupt, no text) or
 * {@link dev.sptsrag.retrieval.ingest.DocumentTooLargeException} (over a limit).
 */
package dev.sptsrag.retrieval.ingest;
