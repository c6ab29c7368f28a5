package dev.uat.api;

import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Token buckets by key: {@code limit} events per {@code window}, refilled continuously. Memory is
 * bounded in bytes ({@link BoundedLru}): past the budget the least recently used buckets are
 * evicted and counted through {@code evicted} (an evicted bucket comes back full: the budget is
 * sized so that this needs thousands of keys at once). Thread-safe; a check is a map lookup and a
 * few arithmetic operations.
 */
final class RateLimiter {
  /** Default byte budget of one limiter: ~4,500 buckets keyed by a 36-character id. */
  static final long DEFAULT_BUDGET_BYTES = 1024 * 1024;

  private final int limit;
  private final double refillPerNano;
  private final LongSupplier nanoClock;
  private final BoundedLru<Bucket> buckets;

  /** {@code limit} events per minute per key, 0 for unlimited, in the default byte budget. */
  static RateLimiter perMinute(int limit, LongConsumer evicted) {
    return new RateLimiter(
        limit, Duration.ofMinutes(1), DEFAULT_BUDGET_BYTES, System::nanoTime, evicted);
  }

  RateLimiter(
      int limit, Duration window, long budgetBytes, LongSupplier nanoClock, LongConsumer evicted) {
    this.limit = limit;
    this.refillPerNano = limit / (double) window.toNanos();
    this.nanoClock = nanoClock;
    this.buckets = new BoundedLru<>(budgetBytes, evicted);
  }

  private final class Bucket {
    private double tokens = limit;
    private long updated = nanoClock.getAsLong();

    /** Refills, then takes one token if there is one; returns seconds to wait, or 0. */
    synchronized long take() {
      long now = nanoClock.getAsLong();
      tokens = Math.min(limit, tokens + (now - updated) * refillPerNano);
      updated = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - tokens) / refillPerNano / 1e9));
    }
  }

  /** Takes one event for {@code key}; returns 0 if allowed, else the seconds until it would be. */
  long acquire(String key) {
    return limit == 0 ? 0 : buckets.getOrCreate(key, Bucket::new).take();
  }

  /** Estimated bytes held (tests). */
  long weightedBytes() {
    return buckets.bytes();
  }
}
