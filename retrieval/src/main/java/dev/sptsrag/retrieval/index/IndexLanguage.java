package dev.sptsrag.retrieval.index;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;

import java.util.function.Supplier;

/**
 * The analyzer of an index's text fields, chosen once per index: it is recorded in every commit and an
 * index opened with another one is refused, because its queries would no longer match its terms.
 */
public enum IndexLanguage {
    /** Stop words and Porter stemming ("packages" and "package" match). The default. */
    ENGLISH(EnglishAnalyzer::new),
    /** Unicode word breaking and lower-casing only; for mixed or unknown languages. */
    STANDARD(StandardAnalyzer::new),
    GERMAN(GermanAnalyzer::new),
    FRENCH(FrenchAnalyzer::new),
    SPANISH(SpanishAnalyzer::new);

    private final Supplier<Analyzer> analyzer;

    IndexLanguage(Supplier<Analyzer> analyzer) {
        this.analyzer = analyzer;
    }

    /** A new analyzer (analyzers hold per-thread state; each index owns its own). */
    public Analyzer newAnalyzer() {
        return analyzer.get();
    }
}
