package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.RetrievalException;
import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DocumentLoaderTest {
    private final DocumentLoader loader = new DocumentLoader();

    @Test
    void everyFormatLoadsFromAFile() throws IOException {
        assertEquals(DocumentFormat.PLAIN_TEXT, loader.load(TestFiles.resource("notes.txt")).format());
        assertEquals(DocumentFormat.MARKDOWN, loader.load(TestFiles.resource("guide.md")).format());
        assertEquals(DocumentFormat.HTML, loader.load(TestFiles.resource("article.html")).format());
        ParsedDocument pdf = loader.load(TestFiles.resource("three-pages.pdf"));
        assertEquals(DocumentFormat.PDF, pdf.format());
        assertTrue(pdf.source().endsWith("three-pages.pdf"));
    }

    @Test
    void withoutAKnownExtensionTheContentDecides(@TempDir Path dir) throws IOException {
        Path pdf = Files.write(dir.resolve("upload-1"), TestFiles.bytes("three-pages.pdf"));
        Path html = Files.write(dir.resolve("upload-2"), TestFiles.bytes("article.html"));
        Path text = Files.write(dir.resolve("README"), "plain words".getBytes(StandardCharsets.UTF_8));
        assertEquals(DocumentFormat.PDF, loader.load(pdf).format());
        assertEquals(DocumentFormat.HTML, loader.load(html).format());
        assertEquals(DocumentFormat.PLAIN_TEXT, loader.load(text).format());
    }

    @Test
    void anUnknownExtensionIsUnsupported(@TempDir Path dir) throws IOException {
        Path docx = Files.write(dir.resolve("report.docx"), new byte[] {'P', 'K', 3, 4, 0, 0});
        UnsupportedDocumentException e = assertThrows(UnsupportedDocumentException.class, () -> loader.load(docx));
        assertEquals(docx.toString(), e.source());
        assertTrue(e.reason().startsWith("unsupported file type .docx"), e.reason());
        assertInstanceOf(RetrievalException.class, e);
    }

    @Test
    void anExplicitFormatWinsOverTheName() throws IOException {
        ParsedDocument d = loader.load("upload.bin", new ByteArrayInputStream("# Title\n\nBody".getBytes(StandardCharsets.UTF_8)),
                DocumentFormat.MARKDOWN);
        assertEquals("Title", d.title());
    }

    @Test
    void filesOverTheByteLimitAreRefusedBeforeParsing(@TempDir Path dir) throws IOException {
        DocumentLoader small = new DocumentLoader(IngestOptions.defaults().withMaxBytes(1000));
        Path big = Files.write(dir.resolve("big.md"), "a".repeat(5000).getBytes(StandardCharsets.UTF_8));
        DocumentTooLargeException e = assertThrows(DocumentTooLargeException.class, () -> small.load(big));
        assertEquals(big + ": too large: 5000 bytes (the limit is 1000 bytes)", e.getMessage());

        DocumentTooLargeException streamed = assertThrows(DocumentTooLargeException.class, () ->
                small.load("upload.md", new ByteArrayInputStream(new byte[100_000]), null));
        assertEquals(-1, streamed.size(), "a stream is read only up to the limit");
        assertEquals("upload.md: too large: more than 1000 bytes (the limit is 1000 bytes)", streamed.getMessage());
    }

    @Test
    void aParserLibraryFailureBecomesAParseError() {
        DocumentParser failing = new DocumentParser() {
            @Override
            public DocumentFormat format() {
                return DocumentFormat.MARKDOWN;
            }

            @Override
            public ParsedDocument parse(String source, byte[] content, IngestOptions options) {
                throw new IndexOutOfBoundsException("index 7 out of bounds");
            }
        };
        DocumentLoader withFailing = new DocumentLoader(IngestOptions.defaults(), List.of(failing));
        DocumentParseException e = assertThrows(DocumentParseException.class,
                () -> withFailing.parse("odd.md", new byte[] {'x'}, null));
        assertTrue(e.getMessage().startsWith("odd.md: not readable as MARKDOWN: java.lang.IndexOutOfBoundsException"), e.getMessage());
        UnsupportedDocumentException missing = assertThrows(UnsupportedDocumentException.class,
                () -> withFailing.parse("a.pdf", new byte[] {'x'}, null));
        assertEquals("a.pdf: no parser for PDF is configured", missing.getMessage());
    }

    @Test
    void aMissingFileIsAnIoError(@TempDir Path dir) {
        assertThrows(NoSuchFileException.class, () -> loader.load(dir.resolve("gone.txt")));
    }
}
