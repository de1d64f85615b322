package dev.qvgen.harness;

import java.io.PrintStream;
import java.util.Locale;

/** One-line progress with rate and ETA, printed at most every second and at the end. */
public final class Progress {
    private final String label;
    private final int total;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private int done;
    private int skipped;
    private long lastPrint;

    public Progress(String label, int total, PrintStream out) {
        this.label = label;
        this.total = total;
        this.out = out;
    }

    /** Counts work already finished by an earlier run, so the ETA covers only what is left. */
    public void skip(int n) {
        done += n;
        skipped += n;
    }

    public void step(String detail) {
        done++;
        long now = System.nanoTime();
        if (now - lastPrint < 1_000_000_000L && done < total) {
            return;
        }
        lastPrint = now;
        double secs = (now - start) / 1e9;
        int fresh = done - skipped;
        double rate = fresh / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        out.printf(Locale.ROOT, "[%s] %d/%d  %.1fs elapsed  ETA %s  %s%n", label, done, total, secs,
                Double.isNaN(eta) ? "?" : String.format(Locale.ROOT, "%.0fs", eta), detail == null ? "" : detail);
    }
}
