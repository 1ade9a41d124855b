package dev.sptsrag.retrieval.ingest;

import dev.sptsrag.retrieval.testing.TestFiles;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarkdownParserTest {
    private final ParsedDocument doc = new MarkdownParser().parse("docs/guide.md", TestFiles.bytes("guide.md"),
            IngestOptions.defaults());

    @Test
    void titleIsTheFirstLevelOneHeading() {
        assertEquals("Lighthouse Keeper's Guide", doc.title());
        assertEquals(DocumentFormat.MARKDOWN, doc.format());
        assertEquals("docs/guide.md", doc.source());
    }

    @Test
    void headingsBecomeNestedSectionsWithGithubAnchors() {
        List<String> titles = doc.sections().stream().map(Section::title).toList();
        assertEquals(List.of("Lighthouse Keeper's Guide", "Lamp maintenance", "Replacing the mantle", "The log book",
                "Weather codes", "Lamp maintenance"), titles);
        assertEquals(List.of(1, 2, 3, 2, 2, 2), doc.sections().stream().map(Section::level).toList());
        assertEquals(List.of("lighthouse-keepers-guide", "lamp-maintenance", "replacing-the-mantle", "the-log-book",
                "weather-codes", "lamp-maintenance-1"), doc.sections().stream().map(Section::anchor).toList());

        Section lamp = doc.sections().get(1);
        Section mantle = doc.sections().get(2);
        Section log = doc.sections().get(3);
        assertTrue(doc.text().startsWith("Lamp maintenance", lamp.start()));
        assertEquals(log.start(), lamp.end(), "a level-2 section ends where the next level-2 starts");
        assertEquals(log.start(), mantle.end(), "its subsection ends there too");
        assertEquals(doc.text().length(), doc.sections().get(0).end(), "the level-1 section spans the document");

        int inMantle = doc.text().indexOf("Let the lamp cool");
        assertEquals(List.of("Lighthouse Keeper's Guide", "Lamp maintenance", "Replacing the mantle"),
                doc.sectionPath(inMantle).stream().map(Section::title).toList());
    }

    @Test
    void inlineMarkupIsDroppedAndBlocksBecomeParagraphs() {
        String text = doc.text();
        assertTrue(text.contains("Keeping a lighthouse is mostly routine: the lamp, the log and the weather."), text);
        assertTrue(text.contains("Clean the lens every morning with a dry cloth. Never use water on a warm lens."), text);
        assertTrue(text.contains("\n\nCheck the mantle for cracks.\n\nTop up the paraffin tank to the red mark.\n\n"), text);
        assertTrue(text.contains("See the weather codes for abbreviations."), "link text kept, target dropped: " + text);
        assertTrue(text.contains("A log that was not written was not kept."));
        assertFalse(text.contains("internal note"), "HTML comments are not text");
        assertFalse(text.contains("**") || text.contains("](#"), "no Markdown syntax left");
    }

    @Test
    void codeBlocksKeepTheirLines() {
        assertTrue(doc.text().contains("\n\nhousing open\nmantle out\n\n"), doc.text());
    }

    @Test
    void paragraphsAreSeparatedByExactlyOneBlankLine() {
        assertFalse(doc.text().contains("\n\n\n"));
        assertEquals(doc.text().strip(), doc.text());
        assertTrue(doc.pages().isEmpty());
    }
}
