package dev.sptsrag.retrieval.ingest;

import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.commonmark.node.ThematicBreak;
import org.commonmark.parser.Parser;
import org.jsoup.Jsoup;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Markdown (CommonMark): headings become sections with GitHub-style anchors ("## Build steps" →
 * {@code build-steps}), paragraphs and list items become paragraphs, code blocks stay preformatted,
 * inline markup and raw HTML tags are dropped. The title is the first level-1 heading.
 */
public final class MarkdownParser implements DocumentParser {
    private static final Parser PARSER = Parser.builder().build(); // thread-safe

    @Override
    public DocumentFormat format() {
        return DocumentFormat.MARKDOWN;
    }

    @Override
    public ParsedDocument parse(String source, byte[] content, IngestOptions options) {
        Node document = PARSER.parse(TextDecoder.decode(source, content));
        Walk walk = new Walk(new DocumentTextBuilder(source, options.maxTextChars()));
        walk.blocks(document);
        return walk.builder.build(format(), walk.title, Map.of());
    }

    /** One document's traversal: the builder, the anchors given so far and the title found. */
    private static final class Walk {
        final DocumentTextBuilder builder;
        final Map<String, Integer> anchorsUsed = new HashMap<>();
        String title;

        Walk(DocumentTextBuilder builder) {
            this.builder = builder;
        }

        void blocks(Node parent) {
            for (Node node = parent.getFirstChild(); node != null; node = node.getNext()) {
                switch (node) {
                    case Heading h -> {
                        String text = inlineText(h);
                        if (title == null && h.getLevel() == 1 && !text.isBlank()) {
                            title = text;
                        }
                        builder.heading(text, h.getLevel(), anchor(text));
                    }
                    case Paragraph p -> builder.paragraph(inlineText(p));
                    case FencedCodeBlock c -> builder.preformatted(c.getLiteral());
                    case IndentedCodeBlock c -> builder.preformatted(c.getLiteral());
                    case HtmlBlock h -> builder.paragraph(Jsoup.parseBodyFragment(h.getLiteral()).text());
                    case ThematicBreak ignored -> { }
                    default -> blocks(node); // lists, list items, block quotes
                }
            }
        }

        /** GitHub's rule: lower case, punctuation dropped, spaces to hyphens, "-1", "-2" for repeats. */
        String anchor(String heading) {
            StringBuilder slug = new StringBuilder();
            heading.toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
                if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                    slug.appendCodePoint(c);
                } else if (c == ' ') {
                    slug.append('-');
                }
            });
            String base = slug.toString();
            int seen = anchorsUsed.merge(base, 1, Integer::sum) - 1;
            return seen == 0 ? base : base + "-" + seen;
        }
    }

    private static String inlineText(Node parent) {
        StringBuilder out = new StringBuilder();
        appendInline(parent, out);
        return out.toString();
    }

    private static void appendInline(Node parent, StringBuilder out) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNext()) {
            switch (node) {
                case Text t -> out.append(t.getLiteral());
                case Code c -> out.append(c.getLiteral());
                case SoftLineBreak ignored -> out.append(' ');
                case HardLineBreak ignored -> out.append(' ');
                case HtmlInline ignored -> { }
                default -> appendInline(node, out); // emphasis, links, image alt text
            }
        }
    }
}
