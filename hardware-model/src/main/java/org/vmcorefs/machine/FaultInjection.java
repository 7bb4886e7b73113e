package org.vmcorefs.machine;

import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Faults injected into a simulated hardware interface: a seeded rate of transient failures, a fixed
 * latency per request, and optionally a permanent failure of every request.
 */
public final class FaultInjection {
    /** No faults, no latency. */
    public static final FaultInjection NONE = new FaultInjection(0, 0, 0, false);

    private final double failRate;
    private final long latencyNanos;
    private final long seed;
    private final boolean permanent;
    private SplittableRandom random;

    public FaultInjection(double failRate, long latencyNanos, long seed, boolean permanent) {
        if (!(failRate >= 0 && failRate <= 1)) {
            throw new IllegalArgumentException("fail rate must be within [0, 1]: " + failRate);
        }
        if (latencyNanos < 0) {
            throw new IllegalArgumentException("latency must not be negative");
        }
        this.failRate = failRate;
        this.latencyNanos = latencyNanos;
        this.seed = seed;
        this.permanent = permanent;
        this.random = new SplittableRandom(seed);
    }

    public double failRate() {
        return failRate;
    }

    public long latencyNanos() {
        return latencyNanos;
    }

    public boolean permanent() {
        return permanent;
    }

    /** Waits the injected latency, then says whether this request fails. Called under the interface's lock. */
    public boolean nextRequestFails() {
        if (latencyNanos > 0) {
            long deadline = System.nanoTime() + latencyNanos;
            for (long left = latencyNanos; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
        }
        if (permanent) {
            return true;
        }
        return failRate > 0 && random.nextDouble() < failRate;
    }

    /** A copy with the same settings and a fresh random sequence. */
    public FaultInjection copy() {
        return new FaultInjection(failRate, latencyNanos, seed, permanent);
    }
}
