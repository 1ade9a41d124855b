package dev.sptsrag.retrieval.search;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.index.DocumentIndexer;
import dev.sptsrag.retrieval.index.IndexOptions;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.testing.PolicyCorpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retrieval quality on a real corpus: the Debian Policy Manual's HTML pages, and questions written
 * by reading it (src/test/resources/quality/debian-policy-questions.jsonl), each with the section(s)
 * that answer it as {@code page#section-number}. A question is answered at k when one of the top k
 * chunks lies in such a section or one of its subsections. The floors sit a little below the figures
 * measured when they were set (docs/benchmarks.md), so that a change that hurts retrieval fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianPolicyRetrievalQualityTest {
    /** Measured 0.976 (83 of 85) on 2026-12-01 with the default chunking and boosts; see docs/benchmarks.md. */
    static final double RECALL_AT_5_FLOOR = 0.94;
    /** Measured 0.988 (84 of 85). */
    static final double RECALL_AT_20_FLOOR = 0.96;

    record Question(String text, List<String> answers) {}

    private LuceneChunkIndex index;
    private LuceneRetriever retriever;

    @BeforeAll
    void indexTheManual(@TempDir Path dir) throws IOException {
        index = LuceneChunkIndex.open(IndexOptions.at(dir.resolve("policy-index")));
        DocumentIndexer indexer = new DocumentIndexer(new DocumentLoader(),
                new Chunker(new ApproximateTokenCounter(), ChunkingOptions.defaults()), index);
        for (Path page : PolicyCorpus.htmlPages()) {
            indexer.index("policy", page.getFileName().toString(), indexer.loader().load(page), Map.of());
        }
        index.commit();
        retriever = new LuceneRetriever(index);
    }

    @AfterAll
    void close() {
        if (index != null) {
            index.close();
        }
    }

    static List<Question> questions() {
        List<Question> questions = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = DebianPolicyRetrievalQualityTest.class.getResourceAsStream("/quality/debian-policy-questions.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row = json.readTree(line);
                List<String> answers = new ArrayList<>();
                row.get("answers").forEach(a -> answers.add(a.asString()));
                questions.add(new Question(row.get("question").asString(), answers));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return questions;
    }

    /** Whether the hit lies in {@code page#number} or one of its subsections. */
    static boolean answers(ChunkHit hit, String answer) {
        int hash = answer.indexOf('#');
        String page = answer.substring(0, hash);
        String sectionPrefix = answer.substring(hash + 1) + ". ";
        return hit.document().documentId().equals(page)
                && hit.chunk().sectionPath().stream().anyMatch(title -> title.startsWith(sectionPrefix));
    }

    /** The rank (from 1) of the first hit that answers the question, or 0 when none of the hits does. */
    int firstAnsweringRank(Question question, int k) {
        List<ChunkHit> hits = retriever.search(new SearchRequest(question.text(), k)).hits();
        for (int rank = 0; rank < hits.size(); rank++) {
            ChunkHit hit = hits.get(rank);
            if (question.answers().stream().anyMatch(a -> answers(hit, a))) {
                return rank + 1;
            }
        }
        return 0;
    }

    @Test
    void recallAt5And20StayAboveTheirFloors() {
        List<Question> questions = questions();
        assertTrue(questions.size() >= 50, "at least 50 labelled questions, got " + questions.size());
        int at1 = 0;
        int at5 = 0;
        int at20 = 0;
        StringBuilder misses = new StringBuilder();
        for (Question q : questions) {
            int rank = firstAnsweringRank(q, 20);
            if (rank == 1) {
                at1++;
            }
            if (rank >= 1 && rank <= 5) {
                at5++;
            }
            if (rank >= 1) {
                at20++;
            }
            if (rank == 0 || rank > 5) {
                misses.append(String.format("  %s  -> %s (rank %s)%n", q.text(), q.answers(), rank == 0 ? ">20" : rank));
            }
        }
        double recall5 = (double) at5 / questions.size();
        double recall20 = (double) at20 / questions.size();
        System.out.printf("Debian Policy retrieval: %d questions, %d chunks, recall@1 %.3f, recall@5 %.3f, recall@20 %.3f%n"
                + "Not in the top 5:%n%s", questions.size(), index.chunkCount(), (double) at1 / questions.size(), recall5, recall20, misses);
        assertTrue(recall5 >= RECALL_AT_5_FLOOR, "recall@5 " + recall5 + " < " + RECALL_AT_5_FLOOR);
        assertTrue(recall20 >= RECALL_AT_20_FLOOR, "recall@20 " + recall20 + " < " + RECALL_AT_20_FLOOR);
    }
}
