package dev.sptsrag.inference.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of worker threads that runs one {@link RangeTask} at a time over an index range,
 * handing out chunks dynamically. The calling thread works too. Dispatch allocates nothing: tasks
 * are long-lived objects whose fields the caller sets before {@link #run}. Idle workers spin
 * briefly (ops of a forward pass follow each other closely) and then park.
 */
final class ThreadTeam implements AutoCloseable {

    /** A unit of parallel work over {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    interface RangeTask {
        void run(int start, int end, int worker);
    }

    private static final long SPIN_NANOS = 200_000;

    private final Thread[] workers;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int end;
    private volatile int grain;
    private volatile Throwable failure;

    ThreadTeam(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + worker).unstarted(() -> workLoop(worker));
            workers[i].start();
        }
    }

    /** Threads that run tasks, the caller included. */
    int size() {
        return workers.length + 1;
    }

    /** Runs {@code task} over {@code [0, count)} in chunks of {@code grain}, returning when all are done. */
    void run(RangeTask task, int count, int grain) {
        if (count <= 0) {
            return;
        }
        if (workers.length == 0 || count <= grain) {
            task.run(0, count, 0);
            return;
        }
        this.task = task;
        this.end = count;
        this.grain = Math.max(1, grain);
        this.failure = null;
        nextIndex.set(0);
        busyWorkers.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        work(0);
        while (busyWorkers.get() != 0) {
            Thread.onSpinWait();
        }
        this.task = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    private void work(int worker) {
        RangeTask t = task;
        int n = end;
        int g = grain;
        try {
            while (true) {
                int start = nextIndex.getAndAdd(g);
                if (start >= n) {
                    return;
                }
                t.run(start, Math.min(n, start + g), worker);
            }
        } catch (Throwable e) {
            failure = e;
            nextIndex.set(Integer.MAX_VALUE / 2);
        }
    }

    private void workLoop(int worker) {
        long seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - spinStart > SPIN_NANOS) {
                    LockSupport.park(this);
                } else {
                    Thread.onSpinWait();
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            work(worker);
            busyWorkers.decrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
