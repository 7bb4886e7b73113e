package org.vmcorefs.machine;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The machine's state changes (releases, re-IPL, registration), in order, so that a test can check what a
 * tool under test did and when. Keeps the most recent {@value #CAPACITY} events.
 */
public final class EventLog {
    static final int CAPACITY = 10_000;

    /** One state change; {@code sequence} orders events across the whole machine. */
    public record Event(long sequence, Instant time, String kind, String detail) {
    }

    private final AtomicLong sequence = new AtomicLong();
    private final ArrayDeque<Event> events = new ArrayDeque<>();

    public Event record(String kind, String detail) {
        Event e = new Event(sequence.incrementAndGet(), Instant.now(), kind, detail);
        synchronized (events) {
            if (events.size() == CAPACITY) {
                events.removeFirst();
            }
            events.addLast(e);
        }
        return e;
    }

    public List<Event> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** A number that grows with every event and every counted request: a clock for ordering checks. */
    public long now() {
        return sequence.get();
    }

    public long tick() {
        return sequence.incrementAndGet();
    }
}
