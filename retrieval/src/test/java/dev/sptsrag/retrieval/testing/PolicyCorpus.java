package dev.sptsrag.retrieval.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Debian Policy Manual of the Debian package {@code debian-policy} (4.6.2.0): the real corpus of
 * the retrieval-quality test and the benchmarks. The files they read are committed with the tests
 * (src/test/resources/corpus/debian-policy-4.6.2.0, its README names the source and licence), so a
 * fresh checkout needs no apt package. It is required, not optional: a missing corpus fails the test.
 */
public final class PolicyCorpus {
    /** The shipped copy, as the package lays out /usr/share/doc/debian-policy. */
    private static final String SHIPPED = "corpus/debian-policy-4.6.2.0";
    /** The shipped copy unless {@code -Dspts.policy.dir=...} points elsewhere (e.g. /usr/share/doc/debian-policy). */
    public static final Path DOC_DIR = docDir();
    public static final Path HTML_DIR = DOC_DIR.resolve("policy.html");
    /** Navigation pages of the Sphinx build: a table of contents, an index and a search form, no policy text. */
    private static final Set<String> NAVIGATION = Set.of("index.html", "genindex.html", "search.html");

    private PolicyCorpus() {}

    private static Path docDir() {
        String override = System.getProperty("spts.policy.dir");
        if (override != null) {
            return Path.of(override);
        }
        // Through the test class path, so that the tests and exec:exec find it whatever the working directory;
        // off that class path the path below only names, in require's message, where the copy belongs.
        URL shipped = PolicyCorpus.class.getClassLoader().getResource(SHIPPED);
        try {
            return shipped != null ? Path.of(shipped.toURI()) : Path.of("src/test/resources", SHIPPED);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The manual's chapters, appendices and upgrading checklist, one HTML file each, sorted by name. */
    public static List<Path> htmlPages() {
        require(HTML_DIR);
        try (Stream<Path> files = Files.list(HTML_DIR)) {
            List<Path> pages = files.filter(p -> p.getFileName().toString().endsWith(".html"))
                    .filter(p -> !NAVIGATION.contains(p.getFileName().toString()))
                    .sorted().toList();
            if (pages.size() < 20) {
                fail("expected the Debian Policy Manual's ~23 HTML pages in " + HTML_DIR + ", found " + pages.size());
            }
            return pages;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manual as one gzipped PDF ({@code policy.pdf.gz}). */
    public static Path pdfGz() {
        Path pdf = DOC_DIR.resolve("policy.pdf.gz");
        require(pdf);
        return pdf;
    }

    private static void require(Path path) {
        if (!Files.exists(path)) {
            fail("the retrieval corpus is missing: " + path + " does not exist. It is committed under"
                    + " retrieval/src/test/resources/" + SHIPPED + "; with -Dspts.policy.dir, point it at a folder laid"
                    + " out as the debian-policy package installs /usr/share/doc/debian-policy");
        }
    }
}
