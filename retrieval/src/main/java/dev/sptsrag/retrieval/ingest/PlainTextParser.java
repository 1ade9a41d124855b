package dev.sptsrag.retrieval.ingest;

import java.util.Map;

/**
 * Plain text: paragraphs are separated by blank lines, lines inside a paragraph are joined (wrapped
 * text). The title is the first line when it is short enough to be one, else the file name.
 */
public final class PlainTextParser implements DocumentParser {
    private static final int MAX_TITLE_CHARS = 120;

    @Override
    public DocumentFormat format() {
        return DocumentFormat.PLAIN_TEXT;
    }

    @Override
    public ParsedDocument parse(String source, byte[] content, IngestOptions options) {
        String text = TextDecoder.decode(source, content);
        DocumentTextBuilder builder = new DocumentTextBuilder(source, options.maxTextChars());
        for (String paragraph : text.split("\n[ \t\f\u000B]*\n")) {
            builder.paragraph(paragraph);
        }
        String firstLine = text.strip().lines().findFirst().orElse("").strip();
        String title = !firstLine.isEmpty() && firstLine.length() <= MAX_TITLE_CHARS ? firstLine : null;
        return builder.build(format(), title, Map.of());
    }
}
