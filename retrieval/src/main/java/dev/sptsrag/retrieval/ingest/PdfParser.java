package dev.sptsrag.retrieval.ingest;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDOutlineItem;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDOutlineNode;
import org.apache.pdfbox.text.PDFTextStripper;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PDF through PDFBox: the text layer page by page (pages keep their numbers), paragraphs as PDFBox
 * detects them, and the bookmarks (outline) as sections, placed where their title appears on the
 * page they point to. Password-protected files are unsupported; scanned PDFs without a text layer
 * fail with "no text found".
 */
public final class PdfParser implements DocumentParser {
    private static final int MAX_OUTLINE_DEPTH = 6;

    @Override
    public DocumentFormat format() {
        return DocumentFormat.PDF;
    }

    @Override
    public ParsedDocument parse(String source, byte[] content, IngestOptions options) {
        try (PDDocument pdf = Loader.loadPDF(content)) {
            if (pdf.getNumberOfPages() > options.maxPages()) {
                throw new DocumentTooLargeException(source, pdf.getNumberOfPages(), options.maxPages(), "pages");
            }
            if (!pdf.getCurrentAccessPermission().canExtractContent()) {
                throw new UnsupportedDocumentException(source, "the PDF forbids text extraction");
            }
            DocumentTextBuilder builder = new DocumentTextBuilder(source, options.maxTextChars());
            int[] pageStarts = new PageWriter(builder).write(pdf);
            addOutline(pdf, pdf.getDocumentCatalog().getDocumentOutline(), 1, pageStarts, builder);
            PDDocumentInformation info = pdf.getDocumentInformation();
            return builder.build(format(), info.getTitle(), metadata(info));
        } catch (InvalidPasswordException e) {
            throw new UnsupportedDocumentException(source, "the PDF is encrypted with a password", e);
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            // PDFBox reports damaged files with all three.
            throw new DocumentParseException(source, "not a readable PDF: " + e.getMessage(), e);
        }
    }

    /** Feeds each page's text to the builder as paragraphs; returns each page's start offset. */
    private static final class PageWriter extends PDFTextStripper {
        private final DocumentTextBuilder builder;
        private final StringWriter out = new StringWriter();
        private final List<Integer> pageStarts = new ArrayList<>();

        PageWriter(DocumentTextBuilder builder) {
            this.builder = builder;
            setSortByPosition(true); // reading order on multi-column pages
            setParagraphEnd("\n\n");
            setLineSeparator("\n");
        }

        int[] write(PDDocument pdf) throws IOException {
            writeText(pdf, out);
            return pageStarts.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        protected void startPage(PDPage page) throws IOException {
            super.startPage(page);
            out.getBuffer().setLength(0);
        }

        @Override
        protected void endPage(PDPage page) throws IOException {
            super.endPage(page);
            builder.startPage();
            pageStarts.add(builder.length());
            for (String paragraph : out.toString().split("\n\\s*\n")) {
                builder.paragraph(joinHyphenatedLines(paragraph));
            }
            builder.endPage();
        }

        /** "exam-\nple" was one word broken at the line end. */
        private static String joinHyphenatedLines(String paragraph) {
            return paragraph.replaceAll("(\\p{L})-\n(\\p{Ll})", "$1$2");
        }
    }

    private static void addOutline(PDDocument pdf, PDOutlineNode node, int level, int[] pageStarts,
                                   DocumentTextBuilder builder) throws IOException {
        if (node == null || level > MAX_OUTLINE_DEPTH) {
            return;
        }
        for (PDOutlineItem item : node.children()) {
            PDPage page = item.findDestinationPage(pdf);
            int index = page == null ? -1 : pdf.getPages().indexOf(page);
            if (index >= 0 && index < pageStarts.length && item.getTitle() != null) {
                int pageEnd = index + 1 < pageStarts.length ? pageStarts[index + 1] : Integer.MAX_VALUE;
                builder.sectionAt(item.getTitle(), level, pageStarts[index], pageEnd);
            }
            addOutline(pdf, item, level + 1, pageStarts, builder);
        }
    }

    private static Map<String, String> metadata(PDDocumentInformation info) {
        Map<String, String> metadata = new HashMap<>();
        putIfPresent(metadata, "author", info.getAuthor());
        putIfPresent(metadata, "subject", info.getSubject());
        putIfPresent(metadata, "keywords", info.getKeywords());
        if (info.getCreationDate() != null) {
            metadata.put("created", info.getCreationDate().toInstant().toString());
        }
        return metadata;
    }

    private static void putIfPresent(Map<String, String> metadata, String key, String value) {
        if (value != null && !value.isBlank()) {
            metadata.put(key, DocumentTextBuilder.collapseWhitespace(value));
        }
    }
}
