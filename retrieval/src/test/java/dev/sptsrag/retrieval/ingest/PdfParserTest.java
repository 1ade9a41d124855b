package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.testing.TestFiles;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** three-pages.pdf is written byte by byte by tools/fixtures/make_retrieval_pdf.py, not by PDFBox. */
class PdfParserTest {
    private final PdfParser parser = new PdfParser();
    private final byte[] pdf = TestFiles.bytes("three-pages.pdf");

    @Test
    void eachPageKeepsItsNumberAndText() {
        ParsedDocument d = parser.parse("manual.pdf", pdf, IngestOptions.defaults());
        assertEquals(3, d.pages().size());
        assertEquals(List.of(1, 2, 3), d.pages().stream().map(Page::number).toList());
        String page2 = d.text().substring(d.pages().get(1).start(), d.pages().get(1).end());
        assertEquals("2 Configuration\n\n"
                + "The controller reads its settings from /etc/pump/pump.conf at start-up. Every setting has a default,"
                + " so the file may be empty.\n\n"
                + "The flow limit is given in litres per minute; the configuration check rejects values above 900.", page2);
        assertEquals(2, d.pageAt(d.text().indexOf("flow limit")).orElseThrow().number());
        assertEquals(3, d.pageAt(d.text().indexOf("E42 persists")).orElseThrow().number());
    }

    @Test
    void wordsHyphenatedAtALineEndAreJoined() {
        ParsedDocument d = parser.parse("manual.pdf", pdf, IngestOptions.defaults());
        assertTrue(d.text().contains("the configuration check"), d.text());
        assertTrue(d.text().contains("start-up"), "a real hyphen inside a line stays");
    }

    @Test
    void bookmarksBecomeSectionsAtTheirHeadings() {
        ParsedDocument d = parser.parse("manual.pdf", pdf, IngestOptions.defaults());
        assertEquals(List.of("1 Installation", "2 Configuration", "3 Troubleshooting"),
                d.sections().stream().map(Section::title).toList());
        for (int i = 0; i < 3; i++) {
            assertEquals(d.pages().get(i).start(), d.sections().get(i).start(), "section " + i + " starts at its page");
        }
        assertEquals("Harbour Pump Controller Manual", d.title());
        assertEquals("spts-rag tests", d.metadata().get("author"));
    }

    @Test
    void aTruncatedPdfIsAParseErrorNamingTheFile() {
        byte[] truncated = Arrays.copyOf(pdf, pdf.length / 3);
        DocumentParseException e = assertThrows(DocumentParseException.class,
                () -> parser.parse("broken.pdf", truncated, IngestOptions.defaults()));
        assertEquals("broken.pdf", e.source());
        assertTrue(e.getMessage().startsWith("broken.pdf: "), e.getMessage());
    }

    @Test
    void garbageIsNotAPdf() {
        DocumentParseException e = assertThrows(DocumentParseException.class,
                () -> parser.parse("fake.pdf", "just some words".getBytes(), IngestOptions.defaults()));
        assertTrue(e.getMessage().startsWith("fake.pdf: not a readable PDF"), e.getMessage());
    }

    @Test
    void aPasswordProtectedPdfIsUnsupported() throws IOException {
        byte[] encrypted;
        try (PDDocument d = Loader.loadPDF(pdf); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-secret", "user-secret", new AccessPermission());
            policy.setEncryptionKeyLength(128);
            d.protect(policy);
            d.save(out);
            encrypted = out.toByteArray();
        }
        UnsupportedDocumentException e = assertThrows(UnsupportedDocumentException.class,
                () -> parser.parse("secret.pdf", encrypted, IngestOptions.defaults()));
        assertEquals("secret.pdf: the PDF is encrypted with a password", e.getMessage());
    }

    @Test
    void morePagesThanAllowedIsTooLarge() {
        DocumentTooLargeException e = assertThrows(DocumentTooLargeException.class,
                () -> parser.parse("manual.pdf", pdf, IngestOptions.defaults().withMaxPages(2)));
        assertEquals("manual.pdf: too large: 3 pages (the limit is 2 pages)", e.getMessage());
    }
}
