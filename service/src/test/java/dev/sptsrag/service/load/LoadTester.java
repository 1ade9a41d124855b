package dev.sptsrag.service.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bounded load test of a running spts-rag service on this machine: {@code concurrency} askers send
 * {@code /api/ask} and {@code /v1/chat/completions} requests, some streaming and some hung up after the
 * first streamed token, back to back for {@code duration}; then it waits for the service to settle and
 * checks that nothing was lost: every request sent was answered (200), refused (429 with Retry-After) or
 * cancelled by us, none failed otherwise, the engine's queue and active request count are back to 0,
 * the service is healthy, and the service's own counters agree with ours.
 *
 * <p>JDK only (no dependencies), so it runs from its source file against a started service:
 * <pre>java service/src/test/java/dev/sptsrag/service/load/LoadTester.java --concurrency 32 --duration 60s</pre>
 * and {@code LoadTesterTest} runs a short version in the build. Loopback only: it refuses any other
 * host, so it cannot be pointed at someone else's server by accident. Exit status 0 when every check
 * passes, 1 when one fails, 2 for bad options.
 */
public final class LoadTester {

    /** What an asker sends; {@link #MIX} is the order each asker cycles through. */
    public enum Kind {
        ASK, ASK_STREAM, ASK_STREAM_CANCEL, CHAT, CHAT_STREAM, CHAT_STREAM_CANCEL;

        boolean streams() {
            return this != ASK && this != CHAT;
        }
    }

    /**
     * A fixed cycle rather than random picks, so that every kind is exercised by every asker in the
     * same proportions on every run: 3 of 8 plain JSON, 3 of 8 streams read to the end, 2 of 8 hung up.
     * Askers start at different offsets so that the kinds overlap.
     */
    static final List<Kind> MIX = List.of(Kind.ASK, Kind.CHAT_STREAM, Kind.ASK_STREAM_CANCEL, Kind.CHAT,
            Kind.ASK_STREAM, Kind.CHAT_STREAM_CANCEL, Kind.ASK, Kind.CHAT_STREAM);

    /** How one request ended, from the client's side. Exactly one per request sent. */
    public enum Outcome { ANSWERED, REFUSED, CANCELLED, ERROR }

    /**
     * @param base           the service, e.g. {@code http://127.0.0.1:8080} (loopback only)
     * @param concurrency    askers, each with at most one request in flight
     * @param duration       how long askers start new requests; requests in flight then finish
     * @param warmupRounds   rounds of one request of each kind, one at a time, before the askers start: they
     *                       warm the service's JIT (so the timed phase measures a warm service) and show each
     *                       kind working without contention; counted apart from the timed phase
     * @param apiKey         sent as {@code Authorization: Bearer}; null for none
     * @param maxTokens      tokens per answer
     * @param requestTimeout longest one request may take (headers and body) before it counts as an error
     * @param settleTimeout  longest to wait afterwards for the queue and the engine to go idle
     */
    public record Config(URI base, int concurrency, Duration duration, int warmupRounds, String apiKey, int maxTokens,
                         Duration requestTimeout, Duration settleTimeout) {
        public Config {
            if (concurrency < 1 || concurrency > 1024) {
                throw new IllegalArgumentException("concurrency must be in [1, 1024], was " + concurrency);
            }
            if (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("duration must be in (0, 1h], was " + duration);
            }
            if (warmupRounds < 0 || warmupRounds > 100) {
                throw new IllegalArgumentException("warm-up rounds must be in [0, 100], was " + warmupRounds);
            }
            if (maxTokens < 1 || maxTokens > 4096) {
                throw new IllegalArgumentException("max tokens must be in [1, 4096], was " + maxTokens);
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero() || settleTimeout.isNegative()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
            requireLoopback(base);
        }

        public static Config of(URI base, int concurrency, Duration duration) {
            return new Config(base, concurrency, duration, 1, null, 16, Duration.ofMinutes(2), Duration.ofSeconds(60));
        }

        public Config withApiKey(String key) {
            return new Config(base, concurrency, duration, warmupRounds, key, maxTokens, requestTimeout, settleTimeout);
        }
    }

    /** Refuses a URL whose host is not (or does not resolve only to) a loopback address. */
    static void requireLoopback(URI base) {
        if (base == null || base.getHost() == null || !("http".equals(base.getScheme()))) {
            throw new IllegalArgumentException("the service URL must be http://HOST:PORT on this machine, was " + base);
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(base.getHost())) {
                if (!a.isLoopbackAddress()) {
                    throw new IllegalArgumentException("loopback only: " + base.getHost() + " is " + a.getHostAddress()
                            + "; this tool only loads a service on this machine");
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + base.getHost(), e);
        }
    }

    /**
     * What happened. {@code sent} counts requests of the timed phase handed to the HTTP client; each one
     * ends in exactly one outcome, so {@link #accounted()} equals {@code sent} unless an asker is still stuck
     * in a request. The warm-up's requests are counted apart ({@code warmupSent}, {@code warmup}).
     *
     * @param latencyMillis  end-to-end times of answered requests (send to the last byte), sorted
     * @param errors         error descriptions and how often each happened
     * @param server         what the service said after settling (null when it could not be read)
     * @param askersFinished false when an asker was still in a request at the run's hard bound
     */
    public record Report(Config config, Instant startedAt, double elapsedSeconds, long sent,
                         Map<Outcome, Long> outcomes, Map<Kind, Map<Outcome, Long>> byKind, long[] latencyMillis,
                         long completionTokens, Map<String, Long> errors, ServerState server, boolean askersFinished,
                         long warmupSent, Map<Kind, Map<Outcome, Long>> warmup) {

        public long count(Outcome o) {
            return outcomes.getOrDefault(o, 0L);
        }

        /** Warm-up requests that ended in {@code o}. */
        public long warmupCount(Outcome o) {
            return warmup.values().stream().mapToLong(m -> m.getOrDefault(o, 0L)).sum();
        }

        /** Requests of both phases that ended in {@code o}: what the service's counters cover. */
        private long total(Outcome o) {
            return count(o) + warmupCount(o);
        }

        public long accounted() {
            return outcomes.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Nearest-rank percentile of answered latencies in milliseconds; NaN when nothing was answered. */
        public double latencyPercentile(double p) {
            if (latencyMillis.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p / 100 * latencyMillis.length);
            return latencyMillis[Math.clamp(rank - 1, 0, latencyMillis.length - 1)];
        }

        public double answeredPerSecond() {
            return count(Outcome.ANSWERED) / elapsedSeconds;
        }

        /** Every invariant the run broke; empty when it passed. */
        public List<String> violations() {
            List<String> v = new ArrayList<>();
            if (!askersFinished) {
                v.add("askers were still waiting for the service at the run's hard bound (possible deadlock)");
            }
            if (accounted() != sent) {
                v.add("requests lost: sent " + sent + ", accounted for " + accounted());
            }
            long warmupAccounted = Arrays.stream(Outcome.values()).mapToLong(this::warmupCount).sum();
            if (warmupAccounted != warmupSent) {
                v.add("warm-up requests lost: sent " + warmupSent + ", accounted for " + warmupAccounted);
            }
            if (total(Outcome.ERROR) != 0) {
                v.add(total(Outcome.ERROR) + " requests failed: " + errors);
            }
            if (count(Outcome.ANSWERED) == 0) {
                v.add("no request was answered");
            }
            if (server == null) {
                v.add("the service's health and meters could not be read afterwards");
                return v;
            }
            if (!server.healthy()) {
                v.add("the service is not healthy afterwards: " + server.health());
            }
            if (server.queueDepth() != 0 || server.activeRequests() != 0) {
                v.add("the engine did not go idle within " + config.settleTimeout() + ": queue depth "
                        + server.queueDepth() + ", active requests " + server.activeRequests());
            }
            ServerCounts d = server.counted();
            if (d.rejected() != total(Outcome.REFUSED)) {
                v.add("the service refused " + d.rejected() + " requests, the client saw " + total(Outcome.REFUSED) + " 429s");
            }
            // A stream we hung up on may still have finished before the service noticed, so only the sum matches.
            if (d.completed() + d.cancelled() != total(Outcome.ANSWERED) + total(Outcome.CANCELLED)) {
                v.add("the engine finished " + d.completed() + " and cancelled " + d.cancelled()
                        + " requests, the client saw " + total(Outcome.ANSWERED) + " answered and "
                        + total(Outcome.CANCELLED) + " cancelled");
            }
            if (d.otherOutcomes() != 0) {
                v.add("the engine ended " + d.otherOutcomes() + " requests by timeout, failure or shutdown");
            }
            return v;
        }

        public String format() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "load test of %s: %d askers for %s, max tokens %d, started %s%n",
                    config.base(), config.concurrency(), config.duration(), config.maxTokens(), startedAt));
            b.append(String.format(Locale.ROOT, "warm-up (one at a time, not in the figures below): %d sent = answered %d"
                            + " + refused %d + cancelled %d + errors %d%n", warmupSent, warmupCount(Outcome.ANSWERED),
                    warmupCount(Outcome.REFUSED), warmupCount(Outcome.CANCELLED), warmupCount(Outcome.ERROR)));
            b.append(String.format(Locale.ROOT, "sent %d = answered %d + refused (429) %d + cancelled %d + errors %d%s%n",
                    sent, count(Outcome.ANSWERED), count(Outcome.REFUSED), count(Outcome.CANCELLED),
                    count(Outcome.ERROR), accounted() == sent ? "" : "  (accounted " + accounted() + ")"));
            for (Map.Entry<Kind, Map<Outcome, Long>> e : byKind.entrySet()) {
                b.append(String.format(Locale.ROOT, "  %-19s %s%n", e.getKey().name().toLowerCase(Locale.ROOT), e.getValue()));
            }
            b.append(String.format(Locale.ROOT, "answered latency ms: p50 %.0f, p95 %.0f, p99 %.0f, max %.0f%n",
                    latencyPercentile(50), latencyPercentile(95), latencyPercentile(99), latencyPercentile(100)));
            b.append(String.format(Locale.ROOT, "throughput: %.1f answered/s, %.1f completion tokens/s over %.1f s%n",
                    answeredPerSecond(), completionTokens / elapsedSeconds, elapsedSeconds));
            if (server != null) {
                ServerCounts d = server.counted();
                b.append(String.format(Locale.ROOT, "service afterwards: %s, queue depth %d, active requests %d; "
                                + "over both phases the engine completed %d, cancelled %d, other %d; refused %d%n",
                        server.healthy() ? "healthy" : "NOT healthy", server.queueDepth(), server.activeRequests(),
                        d.completed(), d.cancelled(), d.otherOutcomes(), d.rejected()));
            }
            List<String> v = violations();
            b.append(v.isEmpty() ? "PASS: every request accounted for, no errors, engine idle, service healthy\n"
                    : "FAIL:\n  " + String.join("\n  ", v) + "\n");
            return b.toString();
        }
    }

    /** The service's engine counters as the difference between two scrapes. */
    public record ServerCounts(long completed, long cancelled, long otherOutcomes, long rejected) {
        ServerCounts minus(ServerCounts before) {
            return new ServerCounts(completed - before.completed, cancelled - before.cancelled,
                    otherOutcomes - before.otherOutcomes, rejected - before.rejected);
        }
    }

    /** The service after the run: readiness, the engine's gauges, and its counters over the run. */
    public record ServerState(boolean healthy, String health, long queueDepth, long activeRequests, ServerCounts counted) {
    }

    // ---------------------------------------------------------------------------------------------

    private static final String COLLECTION = "loadtest";
    private static final String DOCUMENT = "loadtest-staff";
    // Two records in the demo model's format, so that the same run means something on the demo model too.
    private static final String DOCUMENT_TEXT = "Record of Ana Ruiz: badge number 48213, lives in Porto, works in the "
            + "Finance department, born on 3 May 1984, phone extension 2741.\n\nRecord of Bruno Novak: badge number "
            + "51907, lives in Lyon, works in the Legal department, born on 17 October 1971, phone extension 6120.";
    private static final String QUESTION = "What is the badge number of Ana Ruiz?";
    private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"(?:completionTokens|completion_tokens)\"\\s*:\\s*(\\d+)");

    private final Config config;
    private final HttpClient http;
    private final LongAdder sent = new LongAdder();
    private final Map<Kind, Map<Outcome, LongAdder>> counts = tally();
    private final Map<Kind, Map<Outcome, LongAdder>> warmupCounts = tally();
    private final LongAdder warmupSent = new LongAdder();
    private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    private final AtomicLong completionTokens = new AtomicLong();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    private LoadTester(Config config) {
        this.config = config;
        // HTTP/1.1: one connection per asker, and closing a streamed body closes its connection, which is
        // how the service learns that the client hung up.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static Map<Kind, Map<Outcome, LongAdder>> tally() {
        Map<Kind, Map<Outcome, LongAdder>> t = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            Map<Outcome, LongAdder> m = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                m.put(o, new LongAdder());
            }
            t.put(k, m);
        }
        return t;
    }

    private static Map<Kind, Map<Outcome, Long>> sums(Map<Kind, Map<Outcome, LongAdder>> tally) {
        Map<Kind, Map<Outcome, Long>> out = new EnumMap<>(Kind.class);
        tally.forEach((k, m) -> {
            Map<Outcome, Long> row = new EnumMap<>(Outcome.class);
            m.forEach((o, n) -> row.put(o, n.sum()));
            out.put(k, row);
        });
        return out;
    }

    /**
     * Runs the load test against a started service and returns what happened: what the service does during
     * the run is in the report, never an exception.
     *
     * @throws IllegalStateException when the service cannot be reached, or refuses the test's document, before the run
     */
    public static Report run(Config config) throws InterruptedException {
        LoadTester t = new LoadTester(config);
        try {
            return t.execute();
        } finally {
            t.http.shutdownNow(); // not close(): that would wait for a request stuck in a broken service
        }
    }

    private Report execute() throws InterruptedException {
        setUp();
        ServerCounts before = scrapeCounts();
        for (int round = 0; round < config.warmupRounds(); round++) {
            for (Kind kind : Kind.values()) {
                warmupSent.increment();
                warmupCounts.get(kind).get(one(kind)).increment();
            }
        }
        completionTokens.set(0);
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        long stopAt = start + config.duration().toNanos();
        List<Thread> askers = new ArrayList<>(config.concurrency());
        for (int i = 0; i < config.concurrency(); i++) {
            int offset = i;
            askers.add(Thread.ofVirtual().name("asker-" + i).start(() -> ask(offset, stopAt)));
        }
        // The hard bound: no request may outlive its timeout, so an asker still running after the duration
        // plus one request timeout (plus slack) is stuck, and the run says so instead of hanging.
        long bound = stopAt + config.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(10);
        boolean finished = true;
        for (Thread a : askers) {
            long left = bound - System.nanoTime();
            if (left <= 0 || !a.join(Duration.ofNanos(Math.max(1, left)))) {
                finished = false;
            }
        }
        if (!finished) {
            askers.forEach(Thread::interrupt);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        ServerState server = settle(before);
        tearDown();

        Map<Kind, Map<Outcome, Long>> byKind = sums(counts);
        Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
        byKind.values().forEach(row -> row.forEach((o, n) -> outcomes.merge(o, n, Long::sum)));
        long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<String, Long> errs = new TreeMap<>();
        errors.forEach((k, n) -> errs.put(k, n.sum()));
        return new Report(config, startedAt, elapsed, sent.sum(), outcomes, byKind, lat, completionTokens.get(), errs,
                server, finished, warmupSent.sum(), sums(warmupCounts));
    }

    /** One document in a collection of its own, so that /api/ask retrieves something; replaced if present. */
    private void setUp() {
        String body = "{\"id\": \"" + DOCUMENT + "\", \"title\": \"Load test staff\", \"collection\": \"" + COLLECTION
                + "\", \"text\": " + jsonString(DOCUMENT_TEXT) + "}";
        try {
            HttpResponse<String> r = http.send(post("/api/documents", body).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IllegalStateException("could not add the load test's document: HTTP " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException("the service at " + config.base() + " does not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void tearDown() {
        try {
            http.send(request("/api/documents/" + DOCUMENT + "?collection=" + URLEncoder.encode(COLLECTION, StandardCharsets.UTF_8))
                    .DELETE().build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            // the document stays; the next run replaces it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void ask(int offset, long stopAt) {
        for (int n = offset; System.nanoTime() < stopAt && !Thread.currentThread().isInterrupted(); n++) {
            Kind kind = MIX.get(n % MIX.size());
            sent.increment();
            Outcome outcome = Outcome.ERROR;
            long t0 = System.nanoTime();
            try {
                outcome = one(kind);
            } finally {
                counts.get(kind).get(outcome).increment(); // every request sent ends here exactly once
            }
            if (outcome == Outcome.ANSWERED) {
                latencies.add((System.nanoTime() - t0) / 1_000_000);
            } else if (outcome == Outcome.REFUSED) {
                // Back off a little so that 429s, which come back at once, do not crowd out the requests the
                // engine can take; short of Retry-After on purpose, to keep the queue full.
                try {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(20, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Sends one request of {@code kind} and says how it ended; every failure is an {@link Outcome#ERROR}. */
    private Outcome one(Kind kind) {
        try {
            return send(kind);
        } catch (IOException | RuntimeException e) {
            error(kind + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            error(kind + ": interrupted at the run's hard bound");
            Thread.currentThread().interrupt();
        }
        return Outcome.ERROR;
    }

    private void error(String what) {
        errors.computeIfAbsent(what.length() > 300 ? what.substring(0, 300) + "…" : what, k -> new LongAdder()).increment();
    }

    private Outcome send(Kind kind) throws IOException, InterruptedException {
        HttpRequest req = switch (kind) {
            case ASK -> post("/api/ask", askBody()).build();
            case ASK_STREAM, ASK_STREAM_CANCEL -> post("/api/ask/stream", askBody()).build();
            case CHAT -> post("/v1/chat/completions", chatBody(false)).build();
            case CHAT_STREAM, CHAT_STREAM_CANCEL -> post("/v1/chat/completions", chatBody(true)).build();
        };
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 429) {
                in.readAllBytes();
                String retryAfter = r.headers().firstValue("Retry-After").orElse("");
                if (!retryAfter.matches("[1-9][0-9]*")) {
                    error(kind + ": 429 without a valid Retry-After (" + retryAfter + ")");
                    return Outcome.ERROR;
                }
                return Outcome.REFUSED;
            }
            if (r.statusCode() != 200) {
                error(kind + ": HTTP " + r.statusCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                return Outcome.ERROR;
            }
            return kind.streams() ? readStream(kind, in) : readJson(kind, in);
        }
    }

    private Outcome readJson(Kind kind, InputStream in) throws IOException {
        String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        boolean complete = kind == Kind.ASK ? body.contains("\"answer\"") : body.contains("\"choices\"");
        if (!complete) {
            error(kind + ": 200 without an answer: " + body);
            return Outcome.ERROR;
        }
        addTokens(body);
        return Outcome.ANSWERED;
    }

    /**
     * Reads server-sent events to the end ({@code done} event for /api/ask/stream, {@code [DONE]} for
     * /v1), or, for the cancelling kinds, hangs up once the first piece of the answer has arrived.
     */
    private Outcome readStream(Kind kind, InputStream in) throws IOException {
        boolean ask = kind == Kind.ASK_STREAM || kind == Kind.ASK_STREAM_CANCEL;
        boolean cancel = kind == Kind.ASK_STREAM_CANCEL || kind == Kind.CHAT_STREAM_CANCEL;
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String event = null;
        boolean ended = false;
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.startsWith("event:")) {
                event = line.substring(6).strip();
                continue;
            }
            if (!line.startsWith("data:")) {
                if (line.isEmpty()) {
                    event = null;
                }
                continue;
            }
            String data = line.substring(5).strip();
            if (ended) {
                error(kind + ": data after the end of the stream: " + data);
                return Outcome.ERROR;
            }
            if (ask) {
                if ("error".equals(event)) {
                    error(kind + ": error event: " + data);
                    return Outcome.ERROR;
                }
                if ("done".equals(event)) {
                    addTokens(data);
                    ended = true;
                } else if ("token".equals(event) && cancel) {
                    return Outcome.CANCELLED; // closing the body (try-with-resources) hangs up
                }
            } else {
                if (data.startsWith("{\"error\"")) {
                    error(kind + ": error chunk: " + data);
                    return Outcome.ERROR;
                }
                if (data.equals("[DONE]")) {
                    ended = true;
                } else if (cancel && data.matches(".*\"content\"\\s*:\\s*\"[^\"].*")) {
                    return Outcome.CANCELLED;
                } else {
                    addTokens(data);
                }
            }
        }
        if (!ended) {
            error(kind + ": the stream ended without its final event");
            return Outcome.ERROR;
        }
        // A cancelling kind whose answer finished before any text arrived was answered, not cancelled.
        return Outcome.ANSWERED;
    }

    private void addTokens(String json) {
        Matcher m = COMPLETION_TOKENS.matcher(json);
        if (m.find()) {
            completionTokens.addAndGet(Long.parseLong(m.group(1)));
        }
    }

    private String askBody() {
        return "{\"question\": " + jsonString(QUESTION) + ", \"collection\": \"" + COLLECTION + "\", \"maxTokens\": "
                + config.maxTokens() + ", \"temperature\": 0}";
    }

    private String chatBody(boolean stream) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": " + jsonString(DOCUMENT_TEXT + "\n\n" + QUESTION) + "}], "
                + "\"max_tokens\": " + config.maxTokens() + ", \"temperature\": 0"
                + (stream ? ", \"stream\": true, \"stream_options\": {\"include_usage\": true}" : "") + "}";
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(config.base().resolve(path)).timeout(config.requestTimeout());
        if (config.apiKey() != null) {
            b.header("Authorization", "Bearer " + config.apiKey());
        }
        return b;
    }

    private HttpRequest.Builder post(String path, String json) {
        return request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    }

    // ----------------------------------------------------------------------------- after the run

    /**
     * Waits until the engine is idle and its counters have stopped moving (a request leaves "active"
     * just before it is counted), then reads readiness. Null when the service cannot be read.
     */
    private ServerState settle(ServerCounts before) throws InterruptedException {
        long deadline = System.nanoTime() + config.settleTimeout().toNanos();
        ServerCounts last = null;
        while (true) {
            Map<String, Double> now;
            try {
                now = scrape();
            } catch (IOException e) {
                return null;
            }
            boolean idle = gauge(now, "spts_engine_queue_depth") == 0 && gauge(now, "spts_engine_active_requests") == 0;
            ServerCounts counted = counts(now);
            if ((idle && counted.equals(last)) || System.nanoTime() > deadline) {
                String health;
                int status;
                try {
                    HttpResponse<String> r = http.send(request("/actuator/health/readiness").GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    health = r.body();
                    status = r.statusCode();
                } catch (IOException e) {
                    return null;
                }
                boolean up = status == 200 && "UP".equals(topLevelString(health, "status"));
                return new ServerState(up, health, (long) gauge(now, "spts_engine_queue_depth"),
                        (long) gauge(now, "spts_engine_active_requests"), counts(now).minus(before));
            }
            last = counted;
            Thread.sleep(200);
        }
    }

    private ServerCounts scrapeCounts() {
        try {
            return counts(scrape());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + config.base().resolve("/actuator/prometheus") + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static ServerCounts counts(Map<String, Double> m) {
        long completed = 0;
        long cancelled = 0;
        long other = 0;
        for (Map.Entry<String, Double> e : m.entrySet()) {
            if (!e.getKey().startsWith("spts_engine_requests_total{")) {
                continue;
            }
            long n = Math.round(e.getValue());
            if (e.getKey().contains("outcome=\"completed\"")) {
                completed += n;
            } else if (e.getKey().contains("outcome=\"cancelled\"")) {
                cancelled += n;
            } else {
                other += n;
            }
        }
        return new ServerCounts(completed, cancelled, other, Math.round(gauge(m, "spts_engine_rejected_total")));
    }

    /** A sample without labels, or the sum of a metric's samples over all labels; 0 when absent. */
    private static double gauge(Map<String, Double> m, String name) {
        double sum = 0;
        for (Map.Entry<String, Double> e : m.entrySet()) {
            String k = e.getKey();
            if (k.equals(name) || k.startsWith(name + "{")) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** The Prometheus text exposition as {@code name{labels} -> value} (comments skipped). */
    private Map<String, Double> scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request("/actuator/prometheus").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("HTTP " + r.statusCode() + " from /actuator/prometheus");
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                out.put(line.substring(0, space).strip(), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                // a sample we do not read (exemplars, +Inf written differently): not one of ours
            }
        }
        return out;
    }

    /**
     * The string value of {@code key} in the outermost object of {@code json}, or null: enough JSON for
     * the health document without a library (nested components have their own "status").
     */
    static String topLevelString(String json, String key) {
        int depth = 0;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == '"') {
                int end = endOfString(json, i);
                String token = json.substring(i + 1, end);
                i = end;
                if (depth == 1 && token.equals(key)) {
                    int colon = i + 1;
                    while (colon < json.length() && Character.isWhitespace(json.charAt(colon))) {
                        colon++;
                    }
                    int start = colon + 1;
                    while (start < json.length() && Character.isWhitespace(json.charAt(start))) {
                        start++;
                    }
                    if (colon < json.length() && json.charAt(colon) == ':' && start < json.length() && json.charAt(start) == '"') {
                        return json.substring(start + 1, endOfString(json, start));
                    }
                }
            }
        }
        return null;
    }

    /** The index of the quote that closes the string opening at {@code open}. */
    private static int endOfString(String json, int open) {
        for (int i = open + 1; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return json.length() - 1;
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    // ----------------------------------------------------------------------------- command line

    static final String USAGE = """
            usage: java service/src/test/java/dev/sptsrag/service/load/LoadTester.java [options]
              --url URL              the service on this machine (default http://127.0.0.1:8080)
              --concurrency N        askers, one request in flight each (default 8)
              --duration D           how long to send, e.g. 30s, 2m (default 30s)
              --warmup N             rounds of one request of each kind, one at a time, first (default 1)
              --max-tokens N         tokens per answer (default 16)
              --api-key KEY          the service's API key (default: $SPTS_API_KEY, else none)
              --request-timeout D    longest one request may take (default 2m)
              --settle-timeout D     longest to wait for the engine to go idle afterwards (default 60s)
            """;

    static Config parse(String[] args) {
        Config c = Config.of(URI.create("http://127.0.0.1:8080"), 8, Duration.ofSeconds(30))
                .withApiKey(System.getenv("SPTS_API_KEY"));
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        URI url = c.base();
        int concurrency = c.concurrency();
        Duration duration = c.duration();
        int maxTokens = c.maxTokens();
        int warmup = c.warmupRounds();
        String key = c.apiKey();
        Duration requestTimeout = c.requestTimeout();
        Duration settle = c.settleTimeout();
        for (Map.Entry<String, String> o : opts.entrySet()) {
            String v = o.getValue();
            switch (o.getKey()) {
                case "url" -> url = URI.create(v);
                case "concurrency" -> concurrency = integer(o.getKey(), v);
                case "duration" -> duration = duration(o.getKey(), v);
                case "max-tokens" -> maxTokens = integer(o.getKey(), v);
                case "warmup" -> warmup = integer(o.getKey(), v);
                case "api-key" -> key = v;
                case "request-timeout" -> requestTimeout = duration(o.getKey(), v);
                case "settle-timeout" -> settle = duration(o.getKey(), v);
                default -> throw new IllegalArgumentException("unknown option --" + o.getKey());
            }
        }
        return new Config(url, concurrency, duration, warmup, key, maxTokens, requestTimeout, settle);
    }

    private static int integer(String name, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, was " + v);
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or plain seconds. */
    static Duration duration(String name, String v) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(v.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--" + name + " must be a duration such as 30s or 2m, was " + v);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    public static void main(String[] args) throws InterruptedException {
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(USAGE);
            return;
        }
        Config config;
        try {
            config = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        Report report;
        try {
            report = run(config);
        } catch (IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.print(report.format());
        System.exit(report.violations().isEmpty() ? 0 : 1);
    }
}
