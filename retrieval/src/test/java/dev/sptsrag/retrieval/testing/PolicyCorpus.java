package dev.sptsrag.retrieval.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Debian Policy Manual as installed by the Debian package {@code debian-policy} (4.6.2.0): the
 * real corpus of the retrieval-quality test and the benchmarks. It is required, not optional: a
 * missing corpus fails the test with the command that installs it (.ci/run installs it in CI).
 */
public final class PolicyCorpus {
    /** Where the package installs the manual; {@code -Dspts.policy.dir=...} points elsewhere. */
    public static final Path DOC_DIR = Path.of(System.getProperty("spts.policy.dir", "/usr/share/doc/debian-policy"));
    public static final Path HTML_DIR = DOC_DIR.resolve("policy.html");
    /** Navigation pages of the Sphinx build: a table of contents, an index and a search form, no policy text. */
    private static final Set<String> NAVIGATION = Set.of("index.html", "genindex.html", "search.html");

    private PolicyCorpus() {}

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
            fail("the retrieval corpus is missing: " + path + " does not exist. Install the Debian Policy Manual with"
                    + " `sudo apt-get install -y --no-install-recommends debian-policy` (.ci/run does this in CI),"
                    + " or point -Dspts.policy.dir at a copy of /usr/share/doc/debian-policy");
        }
    }
}
