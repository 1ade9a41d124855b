package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlParserTest {
    private final HtmlParser parser = new HtmlParser();
    private final ParsedDocument doc = parser.parse("site/handbook.html", TestFiles.bytes("article.html"),
            IngestOptions.defaults());

    @Test
    void boilerplateIsLeftOut() {
        String text = doc.text();
        for (String boilerplate : List.of("tracking code", "Site banner", "Navigation link", "cookies", "sidebar",
                "footer text", "more script", "font-family", "Search", "¶")) {
            assertFalse(text.contains(boilerplate), boilerplate + " leaked into: " + text);
        }
    }

    @Test
    void mainContentIsKeptAsParagraphs() {
        String text = doc.text();
        assertTrue(text.startsWith("Tidal Power Station Handbook\n\nBy the operations team\n\n"
                + "The Fjordvik station turns the tide into electricity with twelve bulb turbines."), text);
        assertTrue(text.contains("Each turbine produces 8 MW at spring tide. Output halves at neap tide."), text);
        assertTrue(text.contains("\n\nTurbine bearings are greased every 90 days.\n\nBlades are inspected"), text);
        assertTrue(text.contains("\n\nGate | Width\n\nNorth | 12 m\n\nSouth | 9 m"), "table rows: " + text);
        assertTrue(text.contains("\n\n  alarm-test --all\n  alarm-test --report"), "pre kept as is: " + text);
    }

    @Test
    void headingsBecomeSectionsAnchoredToTheirIds() {
        assertEquals(List.of("Tidal Power Station Handbook", "Turbines", "Sluice gates", "Safety"),
                doc.sections().stream().map(Section::title).toList());
        assertEquals(List.of(1, 2, 3, 2), doc.sections().stream().map(Section::level).toList());
        // h1 and h3 have their own ids; the h2s take the id of the <section> they open.
        assertEquals(List.of("handbook", "turbines", "sluice-gates", "safety"),
                doc.sections().stream().map(Section::anchor).toList());
        int gate = doc.text().indexOf("The gates open");
        assertEquals(List.of("Tidal Power Station Handbook", "Turbines", "Sluice gates"),
                doc.sectionPath(gate).stream().map(Section::title).toList());
    }

    @Test
    void titleAndMetadataComeFromTheHead() {
        assertEquals("Tidal Power Station Handbook", doc.title());
        assertEquals(Map.of("language", "en", "author", "Operations Team",
                "description", "How the Fjordvik tidal station works and how to operate it."), doc.metadata());
    }

    @Test
    void aPageWithoutMainTakesTheBodyAndDeclaredCharset() {
        byte[] latin1 = ("<html><head><meta charset=\"ISO-8859-1\"></head><body><nav>menu</nav>"
                + "<p>Caf\u00e9 cr\u00e8me</p><div>Second block</div></body></html>").getBytes(StandardCharsets.ISO_8859_1);
        ParsedDocument d = parser.parse("cafe.html", latin1, IngestOptions.defaults());
        assertEquals("Caf\u00e9 cr\u00e8me\n\nSecond block", d.text());
        assertEquals("cafe", d.title(), "no <title> and no h1: the file name");
    }

    @Test
    void anHtmlPageWithoutTextIsAParseError() {
        DocumentParseException e = assertThrows(DocumentParseException.class, () ->
                parser.parse("empty.html", "<html><body><nav>only a menu</nav></body></html>".getBytes(StandardCharsets.UTF_8),
                        IngestOptions.defaults()));
        assertEquals("empty.html: no text found", e.getMessage());
    }

    @Test
    void binaryContentIsRefused() {
        UnsupportedDocumentException e = assertThrows(UnsupportedDocumentException.class, () ->
                parser.parse("photo.html", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13}, IngestOptions.defaults()));
        assertEquals("photo.html", e.source());
        assertTrue(e.reason().contains("binary"), e.reason());
    }
}
