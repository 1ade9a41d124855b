package dev.sptsrag.retrieval.ingest;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * HTML: the main content without the page's boilerplate. The content is the first {@code <main>},
 * {@code [role=main]} or {@code <article>}, else the body; inside it navigation, side bars, footers,
 * scripts, forms and permalink markers are skipped. Headings h1–h6 become sections (anchor: the
 * heading's id, or that of the {@code <section>} it opens); block elements become paragraphs, table
 * rows become "cell | cell" paragraphs, {@code <pre>} stays preformatted. The charset comes from the
 * byte order mark or {@code <meta charset>}, else UTF-8.
 */
public final class HtmlParser implements DocumentParser {

    private static final String CONTENT_ROOTS = "main, [role=main], article";
    private static final String BOILERPLATE = String.join(", ",
            "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "select",
            "nav", "aside", "footer", "[role=navigation]", "[role=banner]", "[role=contentinfo]",
            "[role=complementary]", "[role=search]", "[aria-hidden=true]", "[hidden]",
            "a.headerlink", ".sidebar", ".navbar", ".breadcrumb", ".breadcrumbs");
    private static final Set<String> BLOCKS = Set.of(
            "p", "div", "section", "article", "main", "header", "li", "ul", "ol", "dl", "dt", "dd",
            "blockquote", "table", "tr", "caption", "figure", "figcaption", "hr", "address",
            "details", "summary", "body");
    private static final int SNIFF_BYTES = 8192;

    @Override
    public DocumentFormat format() {
        return DocumentFormat.HTML;
    }

    @Override
    public ParsedDocument parse(String source, byte[] content, IngestOptions options) {
        for (int i = 0; i < Math.min(content.length, SNIFF_BYTES); i++) {
            if (content[i] == 0 && !utf16(content)) {
                throw new UnsupportedDocumentException(source, "binary content (NUL bytes), not HTML");
            }
        }
        Document html;
        try {
            html = Jsoup.parse(new ByteArrayInputStream(content), null, "");
        } catch (IOException e) {
            throw new DocumentParseException(source, "unreadable HTML: " + e.getMessage(), e);
        }
        Element root = html.selectFirst(CONTENT_ROOTS);
        if (root == null) {
            root = html.body();
        }
        // jsoup elements compare by identity; a set of them is a set of nodes.
        Set<Element> skipped = Collections.newSetFromMap(new IdentityHashMap<>());
        skipped.addAll(root.select(BOILERPLATE));
        for (Element header : root.select("header")) {
            if (header.selectFirst("h1, h2") == null) {
                skipped.add(header); // a site banner, not an article's title block
            }
        }
        ContentWalk walk = new ContentWalk(new DocumentTextBuilder(source, options.maxTextChars()), skipped);
        NodeTraversor.filter(walk, root);
        walk.flush();

        String title = html.title();
        if (title.isBlank()) {
            Element h1 = root.selectFirst("h1");
            title = h1 == null ? null : h1.text();
        }
        return walk.builder.build(format(), title, metadata(html));
    }

    private static boolean utf16(byte[] content) {
        return content.length >= 2 && ((content[0] & 0xFF) == 0xFE && (content[1] & 0xFF) == 0xFF
                || (content[0] & 0xFF) == 0xFF && (content[1] & 0xFF) == 0xFE);
    }

    private static Map<String, String> metadata(Document html) {
        Map<String, String> metadata = new HashMap<>();
        Element root = html.selectFirst("html");
        String language = root == null ? "" : root.attr("lang");
        if (!language.isBlank()) {
            metadata.put("language", language.strip());
        }
        for (String name : new String[] {"description", "author", "keywords"}) {
            Element meta = html.selectFirst("meta[name=" + name + "]");
            if (meta != null && !meta.attr("content").isBlank()) {
                metadata.put(name, DocumentTextBuilder.collapseWhitespace(meta.attr("content")));
            }
        }
        return metadata;
    }

    /** Collects inline text into paragraphs, flushing at block boundaries. */
    private static final class ContentWalk implements NodeFilter {
        final DocumentTextBuilder builder;
        private final Set<Element> skipped;
        private final StringBuilder paragraph = new StringBuilder();
        private int headingLevel; // 0 outside a heading

        ContentWalk(DocumentTextBuilder builder, Set<Element> skipped) {
            this.builder = builder;
            this.skipped = skipped;
        }

        @Override
        public FilterResult head(Node node, int depth) {
            if (node instanceof TextNode text) {
                paragraph.append(text.getWholeText());
                return FilterResult.CONTINUE;
            }
            if (!(node instanceof Element element)) {
                return FilterResult.CONTINUE; // comments, doctype
            }
            if (skipped.contains(element)) {
                return FilterResult.SKIP_ENTIRELY;
            }
            String tag = element.normalName();
            if (tag.equals("pre")) {
                flush();
                builder.preformatted(element.wholeText());
                return FilterResult.SKIP_ENTIRELY;
            }
            int level = headingLevel(tag);
            if (level > 0) {
                flush();
                headingLevel = level;
            } else if (tag.equals("td") || tag.equals("th")) {
                if (!paragraph.isEmpty()) {
                    paragraph.append(" | ");
                }
            } else if (BLOCKS.contains(tag)) {
                flush();
            } else if (tag.equals("br")) {
                paragraph.append(' '); // a line break inside a paragraph, not a new one
            } else if (tag.equals("img") && !element.attr("alt").isBlank()) {
                paragraph.append(' ').append(element.attr("alt")).append(' ');
            }
            return FilterResult.CONTINUE;
        }

        @Override
        public FilterResult tail(Node node, int depth) {
            if (node instanceof Element element) {
                String tag = element.normalName();
                if (headingLevel(tag) > 0 && headingLevel > 0) {
                    builder.heading(paragraph.toString(), headingLevel, anchor(element));
                    paragraph.setLength(0);
                    headingLevel = 0;
                } else if (BLOCKS.contains(tag)) {
                    flush();
                }
            }
            return FilterResult.CONTINUE;
        }

        void flush() {
            if (headingLevel == 0 && !paragraph.isEmpty()) {
                builder.paragraph(paragraph.toString());
                paragraph.setLength(0);
            }
        }

        private static int headingLevel(String tag) {
            return tag.length() == 2 && tag.charAt(0) == 'h' && tag.charAt(1) >= '1' && tag.charAt(1) <= '6'
                    ? tag.charAt(1) - '0' : 0;
        }

        /** The heading's id, else the id of the section element it opens. */
        private static String anchor(Element heading) {
            if (!heading.id().isEmpty()) {
                return heading.id();
            }
            Element parent = heading.parent();
            if (parent != null && !parent.id().isEmpty() && parent.firstElementChild() != null) {
                for (Element child : parent.children()) {
                    if (child == heading) {
                        return parent.id();
                    }
                    if (headingLevel(child.normalName()) > 0 || !child.text().isBlank()) {
                        break; // the heading does not open its parent
                    }
                }
            }
            return null;
        }
    }
}
