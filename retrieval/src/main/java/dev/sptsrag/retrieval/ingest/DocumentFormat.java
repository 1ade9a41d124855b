package dev.sptsrag.retrieval.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/** The formats retrieval reads, recognised by file name and, failing that, by content. */
public enum DocumentFormat {
    PLAIN_TEXT("txt", "text"),
    MARKDOWN("md", "markdown"),
    HTML("html", "htm", "xhtml"),
    PDF("pdf");

    private final String[] extensions;

    DocumentFormat(String... extensions) {
        this.extensions = extensions;
    }

    /** The format a file name's extension says, if it is one of ours. */
    public static Optional<DocumentFormat> byFileName(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || name.lastIndexOf('/') > dot) {
            return Optional.empty();
        }
        String extension = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        for (DocumentFormat format : values()) {
            for (String e : format.extensions) {
                if (e.equals(extension)) {
                    return Optional.of(format);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The format the first bytes show: the PDF signature or an HTML start. Text and Markdown cannot
     * be told apart by content, so neither is returned here.
     */
    public static Optional<DocumentFormat> byContent(byte[] content) {
        String head = new String(content, 0, Math.min(content.length, 1024), StandardCharsets.ISO_8859_1)
                .stripLeading().toLowerCase(Locale.ROOT);
        if (head.startsWith("\u00ef\u00bb\u00bf")) { // a UTF-8 byte order mark
            head = head.substring(3).stripLeading();
        }
        if (head.startsWith("%pdf-")) {
            return Optional.of(PDF);
        }
        if (head.startsWith("<!doctype html") || head.startsWith("<html")) {
            return Optional.of(HTML);
        }
        return Optional.empty();
    }
}
