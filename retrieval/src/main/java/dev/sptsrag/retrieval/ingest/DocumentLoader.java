package dev.sptsrag.retrieval.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The entry point of ingestion: reads a document within the byte limit, recognises its format and
 * hands it to that format's parser. Every failure that is the document's fault is a typed
 * {@link DocumentException} naming the document; I/O failures stay {@link IOException}s.
 *
 * <p>Thread-safe; one loader serves all requests with the same {@link IngestOptions}.
 */
public final class DocumentLoader {
    private final IngestOptions options;
    private final Map<DocumentFormat, DocumentParser> parsers = new EnumMap<>(DocumentFormat.class);

    /** The four built-in parsers with {@link IngestOptions#defaults()}. */
    public DocumentLoader() {
        this(IngestOptions.defaults());
    }

    public DocumentLoader(IngestOptions options) {
        this(options, List.of(new PlainTextParser(), new MarkdownParser(), new HtmlParser(), new PdfParser()));
    }

    /** With other parsers (a later one replaces an earlier one of the same format). */
    public DocumentLoader(IngestOptions options, List<DocumentParser> parsers) {
        this.options = options;
        for (DocumentParser parser : parsers) {
            this.parsers.put(parser.format(), parser);
        }
    }

    public IngestOptions options() {
        return options;
    }

    /** Loads a file; its path is the document's source. */
    public ParsedDocument load(Path file) throws IOException {
        String source = file.toString();
        long size = Files.size(file);
        if (size > options.maxBytes()) {
            throw new DocumentTooLargeException(source, size, options.maxBytes(), "bytes");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return load(source, in, null);
        }
    }

    /**
     * Loads a document from a stream (an upload), reading at most the byte limit.
     *
     * @param format the format if the caller knows it (e.g. from a content type), or null to recognise it
     */
    public ParsedDocument load(String source, InputStream in, DocumentFormat format) throws IOException {
        byte[] content = in.readNBytes((int) Math.min(options.maxBytes() + 1, Integer.MAX_VALUE - 8));
        if (content.length > options.maxBytes()) {
            throw new DocumentTooLargeException(source, -1, options.maxBytes(), "bytes");
        }
        return parse(source, content, format);
    }

    /** Parses bytes already in memory (within the byte limit). */
    public ParsedDocument parse(String source, byte[] content, DocumentFormat format) {
        if (content.length > options.maxBytes()) {
            throw new DocumentTooLargeException(source, content.length, options.maxBytes(), "bytes");
        }
        DocumentFormat chosen = format != null ? format : detect(source, content);
        DocumentParser parser = parsers.get(chosen);
        if (parser == null) {
            throw new UnsupportedDocumentException(source, "no parser for " + chosen + " is configured");
        }
        try {
            return parser.parse(source, content, options);
        } catch (DocumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // A parser library's own failure on bad input; the document is what is wrong.
            throw new DocumentParseException(source, "not readable as " + chosen + ": " + e, e);
        } catch (StackOverflowError e) {
            throw new DocumentParseException(source, "nested too deeply to parse as " + chosen, null);
        }
    }

    /**
     * The format by file extension; a file without a known extension by content (PDF signature, HTML
     * start); a file without an extension that is neither is read as plain text.
     */
    public DocumentFormat detect(String source, byte[] content) {
        Optional<DocumentFormat> byName = DocumentFormat.byFileName(source);
        if (byName.isPresent()) {
            return byName.get();
        }
        Optional<DocumentFormat> byContent = DocumentFormat.byContent(content);
        if (byContent.isPresent()) {
            return byContent.get();
        }
        String name = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            throw new UnsupportedDocumentException(source, "unsupported file type " + name.substring(dot)
                    + " (supported: .txt, .md, .html, .htm, .xhtml, .pdf, or a PDF or HTML file by its content)");
        }
        return DocumentFormat.PLAIN_TEXT;
    }
}
