package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.SearchFilter;
import dev.sptsrag.retrieval.search.SearchRequest;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An acknowledged ingest survives {@code kill -9}: a child JVM ingests and commits documents and
 * acknowledges each on stdout; it is killed with SIGKILL mid-ingest; the index must then pass
 * {@link CheckIndex}, open, hold every acknowledged document, and hold every document it holds whole.
 * Two rounds, the second resuming on the index the previous kill left.
 */
class CrashDurabilityTest {
    private static final int ACKS_BEFORE_KILL = 20;
    private static final int ROUNDS = 2;
    private static final int BATCH = 50;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedDocumentSurvivesAKill() throws Exception {
        crashRounds(0);
    }

    /** Batches of 50 through one block and one commit: after a kill each batch is in whole or not at all. */
    @Test
    void aBatchIsWholeOrAbsentAfterAKill() throws Exception {
        crashRounds(BATCH);
    }

    private void crashRounds(int batch) throws Exception {
        Path index = dir.resolve("index");
        int acksBeforeKill = batch > 0 ? 3 * batch : ACKS_BEFORE_KILL; // a few whole batches, then the kill
        Map<String, Integer> acknowledged = new LinkedHashMap<>();
        Random random = new Random(42);
        int next = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Path log = dir.resolve("child-" + round + ".log");
            Process child = new ProcessBuilder(childCommand(index, next, batch))
                    .redirectError(log.toFile())
                    .start();
            int acks = 0;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while (acks < acksBeforeKill && (line = out.readLine()) != null) {
                    String[] parts = line.split(" ");
                    acknowledged.put(parts[1], Integer.parseInt(parts[2]));
                    acks++;
                }
                // Land the kill at a random point of the next ingest or commit.
                Thread.sleep(random.nextInt(30));
                child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child died");
                // Acknowledgements written after the last one read are not checked: no client received them.
            }
            if (acks < acksBeforeKill) {
                fail("the child stopped after " + acks + " acknowledgements:\n" + Files.readString(log));
            }
            next = (round + 1) * 1_000_000; // past every number the child may have used
            assertCleanAfterCrash(index);
            try (LuceneChunkIndex reopened = LuceneChunkIndex.open(IndexOptions.at(index))) {
                LuceneRetriever retriever = new LuceneRetriever(reopened);
                for (Map.Entry<String, Integer> ack : acknowledged.entrySet()) {
                    long chunks = retriever.count(SearchFilter.collection("crash").withDocumentIds(Set.of(ack.getKey())));
                    assertEquals(ack.getValue().longValue(), chunks, ack.getKey() + " is whole after round " + round);
                    String marker = "marker" + ack.getKey().substring("doc-".length());
                    assertEquals(ack.getKey(), retriever.search(new SearchRequest(marker, 1)).hits().getFirst().chunk().documentId());
                }
                assertEveryDocumentWhole(retriever, reopened.chunkCount());
                if (batch > 0) {
                    assertEveryBatchWhole(retriever, batch);
                }
            }
        }
        assertTrue(acknowledged.size() >= ROUNDS * acksBeforeKill);
    }

    /** Every document in the index, acknowledged or not, has exactly the chunks it was written with. */
    private static void assertEveryDocumentWhole(LuceneRetriever retriever, long chunkCount) {
        Map<String, List<Integer>> ordinals = new HashMap<>();
        Map<String, Integer> expected = new HashMap<>();
        for (ChunkHit hit : retriever.search(new SearchRequest("document", SearchRequest.MAX_TOP_K)).hits()) {
            ordinals.computeIfAbsent(hit.chunk().documentId(), k -> new ArrayList<>()).add(hit.chunk().ordinal());
            expected.put(hit.chunk().documentId(), Integer.parseInt(hit.document().metadata().get("chunks")));
        }
        assertEquals(chunkCount, ordinals.values().stream().mapToInt(List::size).sum(), "the title term reaches every chunk");
        for (Map.Entry<String, List<Integer>> doc : ordinals.entrySet()) {
            List<Integer> sorted = doc.getValue().stream().sorted().toList();
            assertEquals(IntStream.range(0, expected.get(doc.getKey())).boxed().toList(), sorted, doc.getKey() + " is whole");
        }
    }

    /** Every batch in the index has all its documents: a kill part way through one left none of it. */
    private static void assertEveryBatchWhole(LuceneRetriever retriever, int batch) {
        Map<String, java.util.Set<String>> documents = new HashMap<>();
        for (ChunkHit hit : retriever.search(new SearchRequest("document", SearchRequest.MAX_TOP_K)).hits()) {
            documents.computeIfAbsent(hit.document().metadata().get("batch"), k -> new java.util.HashSet<>())
                    .add(hit.chunk().documentId());
        }
        assertTrue(documents.size() > 1, "batches were written");
        documents.forEach((first, ids) -> assertEquals(batch, ids.size(), "batch " + first + " is whole"));
    }

    private static void assertCleanAfterCrash(Path index) throws IOException {
        try (FSDirectory directory = FSDirectory.open(index); CheckIndex check = new CheckIndex(directory)) {
            ByteArrayOutputStream report = new ByteArrayOutputStream();
            check.setInfoStream(new PrintStream(report, true, StandardCharsets.UTF_8));
            CheckIndex.Status status = check.checkIndex();
            assertTrue(status.clean, "CheckIndex after the kill:\n" + report.toString(StandardCharsets.UTF_8));
        }
    }

    /** The same java, flags and test class path as this JVM. */
    private static List<String> childCommand(Path index, int first, int batch) {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", classPath,
                CrashIngestChild.class.getName(), index.toString(), Integer.toString(first), Integer.toString(batch));
    }
}
