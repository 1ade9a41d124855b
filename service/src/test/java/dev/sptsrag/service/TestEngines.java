package dev.sptsrag.service;

import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.service.ops.EngineLoader;
import dev.sptsrag.service.ops.EngineScheduler;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Schedulers over the real engine on a fixture model, and a way to keep the engine busy on purpose. */
public final class TestEngines {
    private TestEngines() {
    }

    public static EngineLoader.Settings fixture(int contextLength) {
        return new EngineLoader.Settings(Fixtures.model(Fixtures.LLAMA), null, "cpu", 2, contextLength, 0);
    }

    /** A started, ready scheduler on the Llama fixture, one request at a time. */
    public static EngineScheduler scheduler(int queueCapacity, Duration requestTimeout, Duration shutdownTimeout) {
        return scheduler(queueCapacity, requestTimeout, shutdownTimeout, 1);
    }

    /** A started, ready scheduler on the Llama fixture that generates {@code maxSequences} requests together. */
    public static EngineScheduler scheduler(int queueCapacity, Duration requestTimeout, Duration shutdownTimeout,
                                            int maxSequences) {
        EngineLoader.Settings f = fixture(256);
        EngineLoader.Settings settings = new EngineLoader.Settings(f.modelPath(), null, f.backend(), f.threads(),
                f.contextLength(), 0, maxSequences, 0, true);
        EngineScheduler s = new EngineScheduler(EngineLoader.of(settings),
                new EngineScheduler.Settings(queueCapacity, requestTimeout, shutdownTimeout));
        s.start();
        try {
            if (!s.awaitReady(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the fixture engine did not load: " + s.failure(), s.failure());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return s;
    }

    /** A greedy request of {@code maxTokens} for {@code text}, tokenized with the loaded model's tokenizer. */
    public static GenerationRequest request(EngineScheduler s, String text, int maxTokens) {
        return new GenerationRequest(s.loaded().model().tokenizer().encode(text, true), SamplingOptions.greedy(maxTokens));
    }

    /** The engine held at the first token of one request, with one more request waiting behind it. */
    public record Occupied(Hold hold, EngineScheduler.Job running, EngineScheduler.Job queued) {
    }

    public static Occupied occupy(EngineScheduler s, int runningTokens, int queuedTokens) throws InterruptedException {
        Hold hold = new Hold();
        EngineScheduler.Job running = s.submit(request(s, "running", runningTokens), hold);
        hold.awaitHeld();
        return new Occupied(hold, running, s.submit(request(s, "queued", queuedTokens), TokenListener.IGNORE));
    }

    /**
     * A listener that blocks the engine's worker at the first token until {@link #release()}: a long
     * generation on demand. {@link #awaitHeld()} returns once the worker is inside it.
     */
    public static final class Hold implements TokenListener {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public boolean onToken(int tokenId, String text) {
            held.countDown();
            try {
                return released.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        public void awaitHeld() throws InterruptedException {
            if (!held.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the engine never started the held request");
            }
        }

        public void release() {
            released.countDown();
        }
    }
}
