package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.search.ChunkHit;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.testing.Chunks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two threads replace documents (each version with its own chunk count and marker word) and commit,
 * while two threads search. A search must never see part of a version or two versions mixed.
 */
class ConcurrentIngestSearchTest {
    private static final int DOCUMENTS = 20;
    private static final int REPLACES_PER_WRITER = 100;

    @TempDir
    Path dir;

    private static List<Chunk> version(String id, int version) {
        String[] texts = new String[1 + version % 5];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = "release v" + version + "x of document " + id + " part " + i + " harbour";
        }
        return Chunks.of(id, texts);
    }

    private static int versionOf(Chunk chunk) {
        String text = chunk.text();
        return Integer.parseInt(text.substring(text.indexOf(" v") + 2, text.indexOf("x of")));
    }

    @Test
    void searchersNeverSeeAHalfReplacedDocument() throws Exception {
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            LuceneRetriever retriever = new LuceneRetriever(index);
            AtomicInteger versions = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong searches = new AtomicLong();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch writersDone = new CountDownLatch(2);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int seed = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    Random random = new Random(seed);
                    try {
                        for (int i = 0; i < REPLACES_PER_WRITER; i++) {
                            String id = "d" + random.nextInt(DOCUMENTS);
                            index.replace(Chunks.document("c", id), version(id, versions.incrementAndGet()));
                            if (i % 25 == 24) {
                                index.commit();
                            } else if (i % 10 == 4) {
                                index.refresh();
                            }
                        }
                    } catch (RuntimeException e) {
                        failures.add("writer: " + e);
                    } finally {
                        writersDone.countDown();
                    }
                }));
            }
            for (int s = 0; s < 2; s++) {
                int seed = 100 + s;
                threads.add(Thread.ofPlatform().start(() -> {
                    Random random = new Random(seed);
                    while (writing.get()) {
                        String id = "d" + random.nextInt(DOCUMENTS);
                        List<ChunkHit> chunks = retriever.chunks("c", id, 0, 100);
                        if (!chunks.isEmpty()) {
                            int version = versionOf(chunks.getFirst().chunk());
                            boolean whole = chunks.size() == 1 + version % 5;
                            for (int i = 0; i < chunks.size(); i++) {
                                whole &= chunks.get(i).chunk().ordinal() == i && versionOf(chunks.get(i).chunk()) == version;
                            }
                            if (!whole) {
                                failures.add(id + " seen as " + chunks.stream().map(h -> h.chunk().text()).toList());
                            }
                        }
                        retriever.search(new SearchRequest("harbour document part", 10));
                        searches.incrementAndGet();
                        Thread.yield(); // two cores: leave the writers some room
                    }
                }));
            }
            writersDone.await();
            writing.set(false);
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
            assertTrue(searches.get() > 50, "searches ran during the ingest: " + searches.get());

            index.commit();
            long expected = 0;
            for (int d = 0; d < DOCUMENTS; d++) {
                List<ChunkHit> chunks = retriever.chunks("c", "d" + d, 0, 100);
                expected += chunks.size();
            }
            assertEquals(expected, index.chunkCount(), "every chunk belongs to exactly one live version");
        }
    }
}
