package dev.uat.web;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets a repeated warning through at most once per interval and counts the occurrences in between:
 * an outage makes every request (or every event) fail the same way, and a line per failure would
 * fill the log.
 *
 * <p>Guarantees: the first occurrence is let through; after that, at most one occurrence per
 * interval is let through, however many threads call {@link #occurred()} at once (the winner is
 * settled by one compare-and-set on the time of the last line); an occurrence let through is told
 * how many occurred since the previous one let through, itself included. Every occurrence is
 * counted in exactly one line's count (or, if none has come since, in the next line's): under
 * contention a line's count may include an occurrence that another thread recorded at the same
 * moment.
 *
 * <p>Thread-safe and lock-free; never blocks. The clock is {@link System#nanoTime()} unless a test
 * injects another.
 */
public final class LogThrottle {
  /** The interval of {@link #LogThrottle()}: one line every ten seconds at most. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final AtomicLong lastLogged;
  private final AtomicLong unlogged = new AtomicLong();

  /** One line every {@link #DEFAULT_INTERVAL} at most. */
  public LogThrottle() {
    this(DEFAULT_INTERVAL);
  }

  /** One line every {@code interval} at most. */
  public LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  /** One line every {@code interval} at most, by {@code nanoClock} (a {@code nanoTime} source). */
  LogThrottle(Duration interval, LongSupplier nanoClock) {
    requireNonNull(interval, "interval");
    this.nanoClock = requireNonNull(nanoClock, "nanoClock");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, not " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.lastLogged = new AtomicLong(nanoClock.getAsLong() - intervalNanos);
  }

  /**
   * Records one occurrence. Returns 0 when it is not to be logged, else how many occurred since the
   * last one let through (this one included, so at least 1): the caller logs one line then.
   */
  public long occurred() {
    unlogged.incrementAndGet();
    long now = nanoClock.getAsLong();
    long last = lastLogged.get();
    if (now - last >= intervalNanos && lastLogged.compareAndSet(last, now)) {
      // what is counted when the line is let through, not when this occurrence was: a thread
      // descheduled between the two would else hand back a stale count (twice-counted occurrences)
      return Math.max(1, unlogged.getAndSet(0));
    }
    return 0;
  }

  /** The interval, for a log line that says when the next may come. */
  public Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  @Override
  public String toString() {
    return "LogThrottle{interval=" + interval() + "}";
  }
}
