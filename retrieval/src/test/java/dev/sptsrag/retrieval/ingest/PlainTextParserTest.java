package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlainTextParserTest {
    private final PlainTextParser parser = new PlainTextParser();

    @Test
    void paragraphsAreSeparatedByBlankLinesAndWrappedLinesJoined() {
        ParsedDocument d = parser.parse("notes.txt", TestFiles.bytes("notes.txt"), IngestOptions.defaults());
        assertEquals("Night Ferry Timetable\n\n"
                + "The night ferry leaves the north quay at 23:40 and reaches the island at 01:15.\n\n"
                + "On Sundays there is no night ferry. Tickets are sold on board.", d.text());
        assertEquals("Night Ferry Timetable", d.title());
        assertTrue(d.sections().isEmpty() && d.pages().isEmpty());
    }

    @Test
    void utf8WithByteOrderMarkAndLegacyEncodingsDecode() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i'};
        assertEquals("hi", parser.parse("a.txt", bom, IngestOptions.defaults()).text());
        byte[] windows1252 = "na\u00efve \u20ac price".getBytes(Charset.forName("windows-1252"));
        assertEquals("na\u00efve \u20ac price", parser.parse("b.txt", windows1252, IngestOptions.defaults()).text());
        byte[] utf16 = "\uFEFFwide text".getBytes(StandardCharsets.UTF_16BE);
        assertEquals("wide text", parser.parse("c.txt", utf16, IngestOptions.defaults()).text());
    }

    @Test
    void aLongFirstLineIsNotATitle() {
        String text = "x".repeat(200) + "\n\nbody";
        assertEquals("notes", parser.parse("dir/notes.txt", text.getBytes(StandardCharsets.UTF_8), IngestOptions.defaults()).title());
    }

    @Test
    void binaryAndEmptyFilesAreRefusedWithTheirName() {
        UnsupportedDocumentException binary = assertThrows(UnsupportedDocumentException.class,
                () -> parser.parse("data.txt", new byte[] {'a', 0, 'b'}, IngestOptions.defaults()));
        assertEquals("data.txt: binary content (NUL bytes), not a text file", binary.getMessage());
        DocumentParseException empty = assertThrows(DocumentParseException.class,
                () -> parser.parse("blank.txt", " \n\n \t".getBytes(StandardCharsets.UTF_8), IngestOptions.defaults()));
        assertEquals("blank.txt: no text found", empty.getMessage());
    }

    @Test
    void textBeyondTheCharacterLimitStopsTheParse() {
        byte[] big = "word ".repeat(1000).getBytes(StandardCharsets.UTF_8);
        DocumentTooLargeException e = assertThrows(DocumentTooLargeException.class,
                () -> parser.parse("big.txt", big, IngestOptions.defaults().withMaxTextChars(100)));
        assertEquals("big.txt: too large: more than 100 characters (the limit is 100 characters)", e.getMessage());
        assertEquals("characters", e.unit());
    }
}
