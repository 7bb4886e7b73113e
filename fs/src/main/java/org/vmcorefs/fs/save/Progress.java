package org.vmcorefs.fs.save;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** How far a save is: a progress bar on a terminal, plain lines otherwise, or nothing. */
public interface Progress extends AutoCloseable {
    /** {@code done} of {@code total} bytes; called often, renders at its own pace. */
    void update(long done);

    @Override
    void close();

    /** Nothing shown. */
    static Progress none() {
        return new Progress() {
            @Override
            public void update(long done) {
            }

            @Override
            public void close() {
            }
        };
    }

    /** A terminal progress bar (me.tongfei:progressbar): bytes in MiB, rate, ETA. */
    static Progress bar(String task, long total, long done, PrintStream out) {
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setUnit(" MiB", 1L << 20).showSpeed().setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(200)
                .startsFrom(done, Duration.ZERO).build();
        return new Progress() {
            @Override
            public void update(long now) {
                bar.stepTo(now);
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }

    /** Plain lines, one every {@code everyMillis} and one at the end, for logs and pipes. */
    static Progress lines(String task, long total, long done, PrintStream out, long everyMillis) {
        return new Progress() {
            private final long start = System.nanoTime();
            private final long startDone = done;
            private long lastPrint = System.nanoTime();
            private long current = done;

            @Override
            public void update(long now) {
                current = now;
                if (System.nanoTime() - lastPrint >= everyMillis * 1_000_000L) {
                    print();
                }
            }

            private void print() {
                lastPrint = System.nanoTime();
                double seconds = Math.max(1e-3, (lastPrint - start) / 1e9);
                double rate = (current - startDone) / seconds;
                String eta = rate > 0 ? format(Duration.ofSeconds((long) ((total - current) / rate))) : "?";
                out.printf("%s: %s of %s (%d%%), %s/s, ETA %s%n", task, Sizes.human(current), Sizes.human(total),
                        total == 0 ? 100 : current * 100 / total, Sizes.human((long) rate), eta);
                out.flush();
            }

            @Override
            public void close() {
                print();
            }
        };
    }

    /**
     * Messages for a terminal that shows a bar: each one first clears the bar's line, so that it stands on
     * a line of its own and the bar is drawn again below it at its next refresh.
     */
    static PrintStream besideBar(PrintStream out) {
        return new PrintStream(out, true) {
            @Override
            public void println(String line) {
                super.print("\r\033[K");
                super.println(line);
            }
        };
    }

    private static String format(Duration d) {
        return String.format("%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
