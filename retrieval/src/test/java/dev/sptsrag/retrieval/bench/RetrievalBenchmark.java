package dev.sptsrag.retrieval.bench;

import dev.sptsrag.retrieval.ApproximateTokenCounter;
import dev.sptsrag.retrieval.TokenCounter;
import dev.sptsrag.retrieval.chunk.Chunk;
import dev.sptsrag.retrieval.chunk.Chunker;
import dev.sptsrag.retrieval.chunk.ChunkingOptions;
import dev.sptsrag.retrieval.context.AssembledContext;
import dev.sptsrag.retrieval.context.ContextBuilder;
import dev.sptsrag.retrieval.context.ContextOptions;
import dev.sptsrag.retrieval.index.IndexOptions;
import dev.sptsrag.retrieval.index.IndexedDocument;
import dev.sptsrag.retrieval.index.LuceneChunkIndex;
import dev.sptsrag.retrieval.ingest.DocumentFormat;
import dev.sptsrag.retrieval.ingest.DocumentLoader;
import dev.sptsrag.retrieval.ingest.ParsedDocument;
import dev.sptsrag.retrieval.ingest.Section;
import dev.sptsrag.retrieval.search.LuceneRetriever;
import dev.sptsrag.retrieval.search.SearchRequest;
import dev.sptsrag.retrieval.search.SearchResults;
import dev.sptsrag.retrieval.testing.PolicyCorpus;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Ingest throughput and query latency at a given number of chunks, on the Debian Policy Manual.
 *
 * <p>The corpus is the manual's HTML pages, repeated as "editions" until the index holds the wanted
 * number of chunks; each edition drops a different, seeded tenth of the paragraphs, so that no two
 * editions are identical. Ingest is timed over the whole pipeline (HTML parse, chunking, Lucene
 * indexing, the final commit) on the HTML bytes; building the editions is not timed. Queries are the
 * 85 labelled questions and the manual's section titles, run once to warm up and then timed one by
 * one: a top-20 BM25 search, and a top-400 search assembled into a 32K-token context. A 10,000-chunk run
 * first warms the JIT up and is not reported.
 *
 * <p>Usage (docs/benchmarks.md): {@code ./mvnw -B -q -pl retrieval exec:exec -Dbench.args="--chunks 10000,100000"}
 */
public final class RetrievalBenchmark {
    private static final int PARAGRAPH_DROP_PERCENT = 10;

    private RetrievalBenchmark() {}

    public static void main(String[] args) throws IOException {
        List<Integer> targets = List.of(10_000, 100_000);
        int threads = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--chunks" -> targets = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--chunks N,M --threads T)");
            }
        }
        System.out.printf("java %s, %d processors, max heap %d MiB%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        List<Path> pages = PolicyCorpus.htmlPages();
        List<String> queries = queries(pages);
        System.out.printf("%d pages, %d queries%n", pages.size(), queries.size());
        System.out.println("warm-up (not reported): 10,000 chunks");
        run(pages, queries, 10_000, threads, false);
        for (int target : targets) {
            run(pages, queries, target, threads, true);
        }
    }

    private static void run(List<Path> pages, List<String> queries, int targetChunks, int threads, boolean report)
            throws IOException {
        Path dir = Files.createTempDirectory("retrieval-bench");
        TokenCounter counter = new ApproximateTokenCounter();
        DocumentLoader loader = new DocumentLoader();
        Chunker chunker = new Chunker(counter, ChunkingOptions.defaults());
        try (LuceneChunkIndex index = LuceneChunkIndex.open(IndexOptions.at(dir))) {
            Ingest totals = new Ingest();
            int edition = 0;
            while (totals.chunks < targetChunks) {
                List<byte[]> html = edition(pages, edition); // not timed
                ingest(loader, chunker, index, pages, html, edition, threads, totals);
                edition++;
            }
            long commitStart = System.nanoTime();
            index.commit();
            long commitNanos = System.nanoTime() - commitStart;
            totals.nanos += commitNanos;
            if (!report) {
                for (String q : queries) {
                    new ContextBuilder(counter, ContextOptions.ofBudget(32_768)).build(
                            new LuceneRetriever(index).search(new SearchRequest(q, 400)).hits());
                }
                return;
            }
            double seconds = totals.nanos / 1e9;
            System.out.printf("%n== %,d chunks (%d editions, %,d tokens, %.1f MB of HTML, %d ingest thread(s))%n",
                    totals.chunks, edition, totals.tokens, totals.bytes / 1e6, threads);
            System.out.printf("ingest: %.1f s, %.2f MB/s, %,.0f chunks/s (thread time: parse %.1f s, chunk %.1f s, index %.1f s;"
                    + " final commit %.2f s)%n", seconds, totals.bytes / 1e6 / seconds, totals.chunks / seconds,
                    totals.parseNanos / 1e9, totals.chunkNanos / 1e9, totals.indexNanos / 1e9, commitNanos / 1e9);
            System.out.printf("index on disk: %.1f MB%n", size(dir) / 1e6);

            LuceneRetriever retriever = new LuceneRetriever(index);
            ContextBuilder context = new ContextBuilder(counter, ContextOptions.ofBudget(32_768));
            for (String q : queries) { // warm-up
                retriever.search(new SearchRequest(q, 20));
                context.build(retriever.search(new SearchRequest(q, 400)).hits());
            }
            long[] search = new long[queries.size()];
            long[] assemble = new long[queries.size()];
            long tokens = 0;
            for (int i = 0; i < queries.size(); i++) {
                long t0 = System.nanoTime();
                retriever.search(new SearchRequest(queries.get(i), 20));
                long t1 = System.nanoTime();
                SearchResults wide = retriever.search(new SearchRequest(queries.get(i), 400));
                AssembledContext built = context.build(wide.hits());
                long t2 = System.nanoTime();
                search[i] = t1 - t0;
                assemble[i] = t2 - t1;
                tokens += built.tokensUsed();
            }
            System.out.printf("top-20 search: p50 %.2f ms, p99 %.2f ms, mean %.2f ms (%d queries)%n",
                    percentile(search, 50), percentile(search, 99), mean(search), queries.size());
            System.out.printf("top-400 search + 32K context: p50 %.2f ms, p99 %.2f ms, mean %.2f ms (%,d tokens per context on average)%n",
                    percentile(assemble, 50), percentile(assemble, 99), mean(assemble), tokens / queries.size());
        } finally {
            deleteRecursively(dir);
        }
    }

    /** Running totals of an ingest. */
    private static final class Ingest {
        long bytes;
        long chunks;
        long tokens;
        long nanos;
        long parseNanos;
        long chunkNanos;
        long indexNanos;
    }

    private static void ingest(DocumentLoader loader, Chunker chunker, LuceneChunkIndex index, List<Path> pages,
                               List<byte[]> html, int edition, int threads, Ingest totals) {
        long start = System.nanoTime();
        long[] chunks = new long[threads];
        long[] tokens = new long[threads];
        long[][] stages = new long[threads][3];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            workers.add(Thread.ofPlatform().start(() -> {
                for (int p = worker; p < pages.size(); p += threads) {
                    String id = "e" + edition + "/" + pages.get(p).getFileName();
                    long t0 = System.nanoTime();
                    ParsedDocument doc = loader.parse(id + ".html", html.get(p), DocumentFormat.HTML);
                    long t1 = System.nanoTime();
                    List<Chunk> cut = chunker.chunk(id, doc);
                    long t2 = System.nanoTime();
                    index.replace(new IndexedDocument("policy", id, doc.title(), id, Map.of("edition", Integer.toString(edition))), cut);
                    long t3 = System.nanoTime();
                    stages[worker][0] += t1 - t0;
                    stages[worker][1] += t2 - t1;
                    stages[worker][2] += t3 - t2;
                    chunks[worker] += cut.size();
                    tokens[worker] += cut.stream().mapToLong(Chunk::tokens).sum();
                }
            }));
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        totals.nanos += System.nanoTime() - start;
        totals.chunks += Arrays.stream(chunks).sum();
        totals.tokens += Arrays.stream(tokens).sum();
        for (long[] stage : stages) {
            totals.parseNanos += stage[0];
            totals.chunkNanos += stage[1];
            totals.indexNanos += stage[2];
        }
        totals.bytes += html.stream().mapToLong(b -> b.length).sum();
    }

    /** The pages of one edition: edition 0 as installed, later ones each without a seeded tenth of their paragraphs. */
    private static List<byte[]> edition(List<Path> pages, int edition) throws IOException {
        List<byte[]> out = new ArrayList<>(pages.size());
        for (Path page : pages) {
            byte[] raw = Files.readAllBytes(page);
            if (edition == 0) {
                out.add(raw);
                continue;
            }
            Document html = Jsoup.parse(new String(raw, StandardCharsets.UTF_8));
            Random random = new Random(edition * 7919L + page.getFileName().hashCode());
            for (Element p : html.select("p")) {
                if (random.nextInt(100) < PARAGRAPH_DROP_PERCENT) {
                    p.remove();
                }
            }
            out.add(html.outerHtml().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The labelled questions and every section title of the manual (numbers stripped). */
    private static List<String> queries(List<Path> pages) throws IOException {
        Set<String> queries = new LinkedHashSet<>();
        try (InputStream in = RetrievalBenchmark.class.getResourceAsStream("/quality/debian-policy-questions.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                int start = line.indexOf("\"question\": \"");
                if (start >= 0) {
                    start += "\"question\": \"".length();
                    queries.add(line.substring(start, line.indexOf('"', start)));
                }
            }
        }
        DocumentLoader loader = new DocumentLoader();
        for (Path page : pages) {
            for (Section s : loader.load(page).sections()) {
                String title = s.title().replaceFirst("^[0-9.]+\\s*", "").strip();
                if (!title.isEmpty()) {
                    queries.add(title);
                }
            }
        }
        return List.copyOf(queries);
    }

    private static double percentile(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1; // nearest-rank
        return sorted[Math.max(0, rank)] / 1e6;
    }

    private static double mean(long[] nanos) {
        return Arrays.stream(nanos).average().orElse(0) / 1e6;
    }

    private static long size(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
