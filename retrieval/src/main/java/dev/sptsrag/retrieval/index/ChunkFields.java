package dev.sptsrag.retrieval.index;

import dev.sptsrag.retrieval.chunk.Chunk;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.Term;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Lucene schema of a chunk: one Lucene document per chunk, with the document's fields repeated.
 * Keyword fields (collection, document id, metadata) filter exactly; {@code text}, {@code section}
 * and {@code title} are analyzed for BM25; the rest is stored only, to rebuild the {@link Chunk}.
 */
public final class ChunkFields {
    /** Separates collection and document id in {@link #DOCUMENT_KEY}; not allowed in either. */
    public static final char KEY_SEPARATOR = '\u0000';

    public static final String COLLECTION = "collection";
    public static final String DOCUMENT_ID = "doc_id";
    /** collection + separator + document id: the term that replace and delete go by. */
    public static final String DOCUMENT_KEY = "doc_key";
    public static final String ORDINAL = "ordinal";
    public static final String TEXT = "text";
    /** The section path's titles, analyzed (searched with a boost). */
    public static final String SECTION = "section";
    /** The section path's titles, one stored value each, outermost first. */
    public static final String SECTION_PATH = "section_path";
    public static final String TITLE = "title";
    public static final String SOURCE = "source";
    public static final String ANCHOR = "anchor";
    public static final String START_OFFSET = "start";
    public static final String END_OFFSET = "end";
    public static final String FIRST_PAGE = "first_page";
    public static final String LAST_PAGE = "last_page";
    public static final String TOKENS = "tokens";
    /** Prefix of metadata fields: {@code meta.lang} holds the value of metadata key {@code lang}. */
    public static final String METADATA_PREFIX = "meta.";

    private ChunkFields() {}

    public static Term documentKey(String collection, String documentId) {
        return new Term(DOCUMENT_KEY, collection + KEY_SEPARATOR + documentId);
    }

    public static Document toLucene(IndexedDocument document, Chunk chunk) {
        Document d = new Document();
        d.add(new StringField(COLLECTION, document.collection(), Field.Store.YES));
        d.add(new StringField(DOCUMENT_ID, document.documentId(), Field.Store.YES));
        d.add(new StringField(DOCUMENT_KEY, documentKey(document.collection(), document.documentId()).text(), Field.Store.NO));
        d.add(new IntField(ORDINAL, chunk.ordinal(), Field.Store.YES));
        d.add(new TextField(TEXT, chunk.text(), Field.Store.YES));
        d.add(new TextField(SECTION, String.join("\n", chunk.sectionPath()), Field.Store.NO));
        for (String title : chunk.sectionPath()) {
            d.add(new StoredField(SECTION_PATH, title));
        }
        d.add(new TextField(TITLE, document.title(), Field.Store.YES));
        d.add(new StoredField(SOURCE, document.source()));
        if (chunk.anchor() != null) {
            d.add(new StoredField(ANCHOR, chunk.anchor()));
        }
        d.add(new StoredField(START_OFFSET, chunk.startOffset()));
        d.add(new StoredField(END_OFFSET, chunk.endOffset()));
        d.add(new StoredField(FIRST_PAGE, chunk.firstPage()));
        d.add(new StoredField(LAST_PAGE, chunk.lastPage()));
        d.add(new StoredField(TOKENS, chunk.tokens()));
        for (Map.Entry<String, String> e : document.metadata().entrySet()) {
            d.add(new StringField(METADATA_PREFIX + e.getKey(), e.getValue(), Field.Store.YES));
        }
        return d;
    }

    /** The document a stored chunk belongs to. */
    public static IndexedDocument document(Document stored) {
        Map<String, String> metadata = new HashMap<>();
        for (IndexableField f : stored.getFields()) {
            if (f.name().startsWith(METADATA_PREFIX)) {
                metadata.put(f.name().substring(METADATA_PREFIX.length()), f.stringValue());
            }
        }
        return new IndexedDocument(stored.get(COLLECTION), stored.get(DOCUMENT_ID), stored.get(TITLE),
                stored.get(SOURCE), metadata);
    }

    /** The chunk as it was indexed. */
    public static Chunk chunk(Document stored) {
        return new Chunk(stored.get(DOCUMENT_ID), intValue(stored, ORDINAL), stored.get(TEXT),
                intValue(stored, START_OFFSET), intValue(stored, END_OFFSET),
                List.of(stored.getValues(SECTION_PATH)), stored.get(ANCHOR),
                intValue(stored, FIRST_PAGE), intValue(stored, LAST_PAGE), intValue(stored, TOKENS));
    }

    private static int intValue(Document stored, String field) {
        return stored.getField(field).numericValue().intValue();
    }
}
