package dev.sptsrag.service.ops;

import dev.sptsrag.inference.engine.ContinuousBatcher;
import dev.sptsrag.inference.engine.FinishReason;
import dev.sptsrag.inference.engine.Generation;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.TokenListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Owns the engine: one worker thread loads the model, then drives its {@link ContinuousBatcher}: it admits
 * queued requests while the batcher has room (a free sequence and KV blocks for the prompt), runs a step for
 * all admitted ones together, and hands each finished one its result. Requests wait in a bounded queue only
 * while the batch is full; a full queue is an {@link EngineBusyException} whose retry-after comes from how
 * fast requests have been finishing. A request that outlives the timeout, waiting or generating, ends with an
 * {@link EngineTimeoutException}; a cancelled request leaves the queue at once or, when running, leaves the
 * batch before the next step, which frees its KV blocks for the next one. Closing drains the queue for at
 * most the shutdown timeout, rejects what is left, stops the running requests and closes the engine on the
 * worker thread.
 */
public final class EngineScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EngineScheduler.class);

    /**
     * @param queueCapacity   requests that may wait while the batch is full (≥ 1)
     * @param requestTimeout  longest a request may take from submission to its last token; checked between engine
     *                        steps (a step in progress, which may be a whole SPTS prefill, is not interrupted)
     * @param shutdownTimeout longest {@link #close} waits for queued and running requests to finish
     */
    public record Settings(int queueCapacity, Duration requestTimeout, Duration shutdownTimeout) {
        public Settings {
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queue capacity must be >= 1, was " + queueCapacity);
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("request timeout must be positive, was " + requestTimeout);
            }
        }
    }

    /** How a request ended. */
    public enum Outcome { COMPLETED, CANCELLED, TIMEOUT, REJECTED, FAILED }

    /**
     * A finished request as the scheduler saw it.
     *
     * @param generation the engine's result (null when the request never ran or the engine threw)
     * @param queueNanos time spent waiting for the engine
     * @param totalNanos time from submission to the end
     */
    public record Report(Outcome outcome, GenerationResult generation, long queueNanos, long totalNanos) {
    }

    /** What the scheduler tells observers (metrics); called on the thread where it happens. */
    public interface Events {
        default void rejected(Throwable reason) {
        }

        default void finished(Report report) {
        }
    }

    private final EngineLoader loader;
    private final Settings settings;
    private final ArrayBlockingQueue<Job> queue;
    private final List<Job> active = new CopyOnWriteArrayList<>(); // admitted; changed by the worker alone
    private volatile int activeCount;
    private volatile int lastStepRows;
    private volatile int keptBlocks; // KV blocks only the prefix cache holds, as of the worker's last look
    private long steps;
    private final List<Events> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private final Thread worker;
    private final CountDownLatch settled = new CountDownLatch(1);
    private final Object lock = new Object();
    private volatile EngineState state = EngineState.LOADING;
    private volatile Throwable failure;
    private volatile LoadedEngine loaded;
    private volatile boolean exit;
    private volatile double meanRequestSeconds = 1;

    public EngineScheduler(EngineLoader loader, Settings settings) {
        this.loader = loader;
        this.settings = settings;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("spts-engine-timer")
                .daemon().factory());
        t.setRemoveOnCancelPolicy(true); // a request that ends in time takes its timer with it
        this.timer = t;
        this.worker = Thread.ofPlatform().name("spts-engine").unstarted(this::work);
    }

    /** Starts the worker, which loads the model; {@link #state()} says when it is ready. */
    public void start() {
        synchronized (lock) {
            if (worker.getState() == Thread.State.NEW && state == EngineState.LOADING) {
                worker.start();
            }
        }
    }

    public void addListener(Events events) {
        listeners.add(events);
    }

    public EngineState state() {
        return state;
    }

    /** Why loading failed, or null. */
    public Throwable failure() {
        return failure;
    }

    public Settings settings() {
        return settings;
    }

    /** The loaded model and engine, or null unless {@link EngineState#READY} (or draining). */
    public LoadedEngine loadedOrNull() {
        return loaded;
    }

    /**
     * The loaded model and engine for preparing a request (tokenizer, chat template, context length).
     *
     * @throws EngineUnavailableException unless the engine is ready
     */
    public LoadedEngine loaded() {
        LoadedEngine l = loaded;
        EngineState s = state;
        if (s != EngineState.READY || l == null) {
            throw unavailable(s);
        }
        return l;
    }

    /** Waits until loading has succeeded or failed; true when ready. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return state == EngineState.READY;
    }

    /** True when the worker thread ended while the engine was serving (not after a failed load or a shutdown). */
    public boolean workerDied() {
        return state == EngineState.READY && worker.getState() == Thread.State.TERMINATED;
    }

    public int queueDepth() {
        return queue.size();
    }

    /** Requests admitted to the batch and not finished. */
    public int activeRequests() {
        return activeCount;
    }

    /** KV blocks only the prefix cache holds (reclaimable), as of a recent step. */
    public int keptBlocks() {
        return keptBlocks;
    }

    /** Token rows of the latest engine step (0 when idle). */
    public int lastStepRows() {
        return lastStepRows;
    }

    /**
     * Queues a generation. {@code listener} receives the text on the worker thread as it is produced;
     * returning false cancels the request.
     *
     * @throws EngineUnavailableException unless the engine is ready
     * @throws EngineBusyException        when the queue is full
     */
    public Job submit(GenerationRequest request, TokenListener listener) {
        Job job = new Job(request, listener);
        synchronized (lock) {
            if (state != EngineState.READY) {
                EngineUnavailableException e = unavailable(state);
                listeners.forEach(l -> l.rejected(e));
                throw e;
            }
            if (!queue.offer(job)) {
                EngineBusyException e = new EngineBusyException(settings.queueCapacity(), retryAfterSeconds());
                listeners.forEach(l -> l.rejected(e));
                throw e;
            }
        }
        job.expiry = timer.schedule(() -> job.abort(Outcome.TIMEOUT,
                new EngineTimeoutException(settings.requestTimeout(), job.startedAt != 0)),
                settings.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (job.result.isDone()) { // finished before its timer was set
            job.expiry.cancel(false);
        }
        return job;
    }

    /** The queue ahead, at the rate requests have been finishing (several run at once). */
    private long retryAfterSeconds() {
        LoadedEngine l = loaded;
        int together = l != null ? l.engine().batcher().cache().sequences() : 1;
        return Math.max(1, Math.round(meanRequestSeconds * (queue.size() + 1) / together));
    }

    private EngineUnavailableException unavailable(EngineState s) {
        return switch (s) {
            case LOADING -> new EngineUnavailableException(s, "the model is still loading", null);
            case FAILED -> new EngineUnavailableException(s, "the model failed to load: " + failure.getMessage(), failure);
            case STOPPING, STOPPED -> new EngineUnavailableException(s, "the engine is shutting down", null);
            case READY -> new EngineUnavailableException(s, "the engine is not available", null);
        };
    }

    private void work() {
        try {
            LoadedEngine l = loader.load();
            synchronized (lock) {
                if (state != EngineState.LOADING) { // closed while loading
                    l.close();
                    return;
                }
                loaded = l;
                state = EngineState.READY;
            }
        } catch (Throwable e) { // whatever it was (a missing file, a missing native library, no memory): readiness says it
            if (e instanceof NoModelException) { // configuration, not a fault: the message says all there is
                log.error("no model to serve: {}", e.getMessage());
            } else {
                log.error("the model failed to load: {}", e.getMessage(), e);
            }
            failure = e;
            synchronized (lock) {
                if (state == EngineState.LOADING) {
                    state = EngineState.FAILED;
                }
            }
            return;
        } finally {
            settled.countDown();
        }
        try {
            ContinuousBatcher batcher = loaded.engine().batcher();
            while (!exit) {
                admit(batcher);
                if (active.isEmpty()) {
                    keptBlocks = batcher.keptBlocks();
                    Job job = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (job != null) {
                        start(batcher, job);
                    }
                    continue;
                }
                step(batcher);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Job job : active) { // a shutdown that outlived its timeout
                if (!job.result.isDone()) {
                    job.abort(Outcome.REJECTED, new EngineUnavailableException(EngineState.STOPPING,
                            "the engine shut down while generating", null));
                    job.finishAborted(null);
                }
            }
            active.clear();
            activeCount = 0;
            LoadedEngine l = loaded;
            loaded = null;
            try {
                l.close();
            } catch (RuntimeException e) {
                log.warn("closing the engine: {}", e.getMessage(), e);
            }
            state = EngineState.STOPPED;
        }
    }

    /** Moves queued requests into the batch, in order, while it has room. */
    private void admit(ContinuousBatcher batcher) {
        for (Job job; (job = queue.peek()) != null; ) {
            if (job.aborted.get() == null && !batcher.hasRoom(job.promptTokens)) {
                return; // asked before every step while the batch is full: nothing is built for the question
            }
            if (!start(batcher, job)) {
                return;
            }
        }
    }

    /**
     * Admits {@code job} (taking it off the queue) unless the batch is full; a job aborted while it waited, or
     * refused by the engine (a prompt too long), ends here.
     *
     * @return false when the batch has no room for it (it stays queued)
     */
    private boolean start(ContinuousBatcher batcher, Job job) {
        if (job.aborted.get() != null) {
            queue.remove(job); // it may have been polled already: its abort then found it nowhere to finish it
            job.finishAborted(null);
            return true;
        }
        Generation g;
        try {
            g = batcher.admit(job.request, (id, text) ->
                    job.aborted.get() == null && job.listener.onToken(id, text) && job.aborted.get() == null);
        } catch (RuntimeException e) {
            queue.remove(job);
            job.finish(Outcome.FAILED, null, e);
            return true;
        }
        if (g == null) {
            if (!queue.contains(job)) { // polled while the batch was empty, yet no room: a prompt the pool cannot hold
                job.finish(Outcome.FAILED, null, new IllegalStateException("the KV cache cannot hold this prompt"));
                return true;
            }
            return false;
        }
        queue.remove(job);
        job.generation = g;
        job.startedAt = System.nanoTime();
        active.add(job);
        activeCount = active.size();
        if (job.aborted.get() != null) { // aborted in between: it leaves before the step
            batcher.cancel(g);
        }
        return true;
    }

    /** One engine step for every admitted request, then the finished ones end. */
    private void step(ContinuousBatcher batcher) {
        for (Job job : active) {
            if (job.aborted.get() != null && !job.generation.isDone()) {
                batcher.cancel(job.generation); // cancelled or timed out: it leaves before the step
            }
        }
        Throwable error = null;
        try {
            batcher.step();
            lastStepRows = batcher.lastStepRows();
            if (++steps % 64 == 0) {
                keptBlocks = batcher.keptBlocks(); // it walks the prefix cache: now and then, and for metrics only
            }
        } catch (RuntimeException | Error e) {
            error = e;
            log.error("an engine step failed: {}", e.getMessage(), e);
        }
        for (int i = active.size() - 1; i >= 0; i--) {
            Job job = active.get(i);
            if (error != null && !job.generation.isDone()) {
                batcher.cancel(job.generation);
                retire(i);
                job.finish(Outcome.FAILED, null, error);
            } else if (job.generation.isDone()) {
                retire(i);
                end(job);
            }
        }
        if (active.isEmpty()) {
            lastStepRows = 0;
        }
        if (error instanceof VirtualMachineError v) {
            throw v;
        }
    }

    private void retire(int index) {
        active.remove(index);
        activeCount = active.size();
        synchronized (lock) {
            lock.notifyAll(); // a shutdown may be waiting for the engine to go idle
        }
    }

    private void end(Job job) {
        meanRequestSeconds = 0.8 * meanRequestSeconds + 0.2 * (System.nanoTime() - job.startedAt) / 1e9;
        GenerationResult result;
        try {
            result = job.generation.result();
        } catch (RuntimeException e) {
            job.finish(Outcome.FAILED, null, e);
            return;
        }
        if (result.finishReason() == FinishReason.CANCELLED) {
            job.abort(Outcome.CANCELLED, new CancellationException("cancelled by the client"));
            job.finishAborted(result);
        } else {
            job.finish(Outcome.COMPLETED, result, null);
        }
    }

    /**
     * Stops taking requests, waits up to the shutdown timeout for the queue and the running request,
     * rejects what is left, then closes the engine.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == EngineState.STOPPING || state == EngineState.STOPPED) {
                return;
            }
            if (state != EngineState.READY) { // loading or failed: nothing to drain
                state = worker.isAlive() ? EngineState.STOPPING : EngineState.STOPPED;
            } else {
                state = EngineState.STOPPING;
            }
        }
        long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
        synchronized (lock) {
            // Woken at the end of every request; the timed wait also covers a queue the worker empties
            // between two checks.
            while (!queue.isEmpty() || activeCount > 0) {
                long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMillis <= 0) {
                    break;
                }
                try {
                    lock.wait(Math.min(leftMillis, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        for (Job job; (job = queue.poll()) != null; ) {
            job.abort(Outcome.REJECTED, new EngineUnavailableException(EngineState.STOPPING,
                    "the engine shut down before this request ran", null));
            job.finishAborted(null);
        }
        if (activeCount > 0) {
            log.warn("shutdown: stopping {} requests still generating after {}", activeCount, settings.shutdownTimeout());
            for (Job running : active) {
                running.abort(Outcome.REJECTED, new EngineUnavailableException(EngineState.STOPPING,
                        "the engine shut down while generating", null));
            }
        }
        exit = true;
        try {
            worker.join(Math.max(1000, settings.shutdownTimeout().toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
        if (!worker.isAlive()) {
            state = EngineState.STOPPED;
            log.info("engine stopped");
        } else {
            log.warn("the engine's worker did not stop within {}", settings.shutdownTimeout());
        }
    }

    /** A queued or running request. */
    public final class Job {
        private final GenerationRequest request;
        private final TokenListener listener;
        private final long submittedAt = System.nanoTime();
        private final CompletableFuture<Report> result = new CompletableFuture<>();
        private final AtomicReference<Abort> aborted = new AtomicReference<>();
        private volatile long startedAt;
        private volatile ScheduledFuture<?> expiry;
        private Generation generation; // once admitted; the worker's
        private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        private final int promptTokens;

        private record Abort(Outcome outcome, RuntimeException error) {
        }

        private Job(GenerationRequest request, TokenListener listener) {
            this.request = request;
            this.promptTokens = request.promptTokens().length;
            this.listener = listener;
        }

        /**
         * Completes with the report of a completed generation, or exceptionally: {@link CancellationException},
         * {@link EngineTimeoutException}, {@link EngineUnavailableException} (shut down) or the engine's exception.
         */
        public CompletableFuture<Report> result() {
            return result;
        }

        /** Cancels the request: it leaves the queue, or stops generating at its next token. */
        public void cancel() {
            abort(Outcome.CANCELLED, new CancellationException("cancelled by the client"));
        }

        private void abort(Outcome outcome, RuntimeException error) {
            if (result.isDone() || !aborted.compareAndSet(null, new Abort(outcome, error))) {
                return;
            }
            if (queue.remove(this)) {
                finishAborted(null);
            }
        }

        private void finishAborted(GenerationResult partial) {
            Abort a = aborted.get();
            finish(a.outcome(), partial, a.error());
        }

        private void finish(Outcome outcome, GenerationResult generation, Throwable error) {
            if (!finished.compareAndSet(false, true)) {
                return; // an abort and the worker may both end it: the first one counts
            }
            long now = System.nanoTime();
            long queued = (startedAt != 0 ? startedAt : now) - submittedAt;
            Report report = new Report(outcome, generation, queued, now - submittedAt);
            ScheduledFuture<?> e = expiry;
            if (e != null) {
                e.cancel(false);
            }
            for (Events l : listeners) {
                try {
                    l.finished(report);
                } catch (RuntimeException ex) {
                    log.warn("scheduler listener failed: {}", ex.getMessage(), ex);
                }
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(report);
            }
        }
    }
}
