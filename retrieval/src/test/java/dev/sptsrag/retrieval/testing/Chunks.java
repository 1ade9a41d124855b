package dev.sptsrag.retrieval.testing;

import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.index.IndexedDocument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Chunks and documents written directly, for index and context tests. */
public final class Chunks {
    private Chunks() {}

    public static IndexedDocument document(String collection, String id) {
        return new IndexedDocument(collection, id, "Title of " + id, id + ".txt", Map.of());
    }

    /** Chunks of the given texts, laid out one after another with a paragraph break between them. */
    public static List<Chunk> of(String documentId, String... texts) {
        List<Chunk> chunks = new ArrayList<>();
        int offset = 0;
        for (String text : texts) {
            chunks.add(new Chunk(documentId, chunks.size(), text, offset, offset + text.length(),
                    List.of("Section " + (chunks.size() / 2 + 1)), null, 0, 0, text.split(" ").length));
            offset += text.length() + 2;
        }
        return chunks;
    }
}
