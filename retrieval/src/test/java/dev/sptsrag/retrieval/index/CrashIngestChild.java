package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.testing.Documents;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The process {@link CrashDurabilityTest} kills: ingests documents {@code FIRST, FIRST+1, ...} forever,
 * committing each and then printing {@code ACK <id> <chunks>}. Each document records its own chunk
 * count in its metadata ({@code chunks}), so that a half-written document would show.
 *
 * <p>Usage: {@code CrashIngestChild INDEX_DIR FIRST}
 */
public final class CrashIngestChild {
    private CrashIngestChild() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int number = Integer.parseInt(args[1]);
        Random random = new Random(number);
        Chunker chunker = new Chunker(new ApproximateTokenCounter(), new ChunkingOptions(64, 8));
        LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir));
        while (true) {
            String id = "doc-" + number;
            String markdown = "# Document " + number + "\n\nmarker" + number + " "
                    + Documents.randomMarkdown(random, 1 + random.nextInt(8));
            List<Chunk> chunks = chunker.chunk(id, Documents.markdown(id + ".md", markdown));
            index.replace(new IndexedDocument("crash", id, id, id + ".md", Map.of("chunks", Integer.toString(chunks.size()))),
                    chunks);
            index.commit();
            System.out.println("ACK " + id + " " + chunks.size());
            System.out.flush();
            number++;
        }
    }
}
