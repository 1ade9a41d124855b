package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.testing.Documents;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The process {@link CrashDurabilityTest} kills: ingests documents {@code FIRST, FIRST+1, ...} forever,
 * committing each and then printing {@code ACK <id> <chunks>}. Each document records its own chunk
 * count in its metadata ({@code chunks}), so that a half-written document would show. With {@code BATCH}
 * the documents go in batches of that many through {@link ChunkIndex#replaceAll} and one commit, each
 * recording its batch ({@code batch}: the batch's first number), so that a half-written batch would show.
 *
 * <p>Usage: {@code CrashIngestChild INDEX_DIR FIRST [BATCH]}
 */
public final class CrashIngestChild {
    private CrashIngestChild() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int number = Integer.parseInt(args[1]);
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Random random = new Random(number);
        Chunker chunker = new Chunker(new ApproximateTokenCounter(), new ChunkingOptions(64, 8));
        LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir));
        while (true) {
            List<ChunkIndex.DocumentChunks> documents = new ArrayList<>();
            int first = number;
            for (int i = 0; i < Math.max(1, batch); i++, number++) {
                String id = "doc-" + number;
                String markdown = "# Document " + number + "\n\nmarker" + number + " "
                        + Documents.randomMarkdown(random, 1 + random.nextInt(8));
                List<Chunk> chunks = chunker.chunk(id, Documents.markdown(id + ".md", markdown));
                Map<String, String> metadata = batch > 0
                        ? Map.of("chunks", Integer.toString(chunks.size()), "batch", Integer.toString(first))
                        : Map.of("chunks", Integer.toString(chunks.size()));
                documents.add(new ChunkIndex.DocumentChunks(new IndexedDocument("crash", id, id, id + ".md", metadata), chunks));
            }
            if (batch > 0) {
                index.replaceAll(documents);
            } else {
                index.replace(documents.getFirst().document(), documents.getFirst().chunks());
            }
            index.commit();
            for (ChunkIndex.DocumentChunks d : documents) {
                System.out.println("ACK " + d.document().documentId() + " " + d.chunks().size());
            }
            System.out.flush();
        }
    }
}
