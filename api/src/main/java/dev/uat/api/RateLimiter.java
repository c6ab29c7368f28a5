package dev.uat.api;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets by key: {@code limit} events per {@code window}, refilled continuously. Memory is
 * bounded: past {@link #MAX_KEYS} keys, buckets that have refilled completely (idle keys) are
 * dropped. Thread-safe; a check is a map lookup and a few arithmetic operations.
 */
final class RateLimiter {
  static final int MAX_KEYS = 100_000;

  private final int limit;
  private final double refillPerNano;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** {@code limit} 0 means unlimited. */
  RateLimiter(int limit, Duration window) {
    this(limit, window, System::nanoTime);
  }

  RateLimiter(int limit, Duration window, LongSupplier nanoClock) {
    this.limit = limit;
    this.refillPerNano = limit / (double) window.toNanos();
    this.nanoClock = nanoClock;
  }

  private final class Bucket {
    private double tokens = limit;
    private long updated = nanoClock.getAsLong();

    /** Refills, then takes {@code n} tokens if there are; returns seconds to wait, or 0. */
    synchronized long take(int n, boolean commit) {
      long now = nanoClock.getAsLong();
      tokens = Math.min(limit, tokens + (now - updated) * refillPerNano);
      updated = now;
      if (tokens >= n) {
        if (commit) {
          tokens -= n;
        }
        return 0;
      }
      return Math.max(1, (long) Math.ceil((n - tokens) / refillPerNano / 1e9));
    }

    synchronized boolean full() {
      return tokens + (nanoClock.getAsLong() - updated) * refillPerNano >= limit;
    }
  }

  /** Takes one event for {@code key}; returns 0 if allowed, else the seconds until it would be. */
  long acquire(String key) {
    return limit == 0 ? 0 : bucket(key).take(1, true);
  }

  /** Whether {@code key} has an event left, without taking it: 0, or seconds to wait. */
  long check(String key) {
    if (limit == 0) {
      return 0;
    }
    Bucket b = buckets.get(key);
    return b == null ? 0 : b.take(1, false);
  }

  /** Forgets {@code key} (e.g. a successful login clears the failures). */
  void reset(String key) {
    buckets.remove(key);
  }

  private Bucket bucket(String key) {
    Bucket b = buckets.get(key);
    if (b != null) {
      return b;
    }
    if (buckets.size() >= MAX_KEYS) {
      buckets.values().removeIf(Bucket::full);
    }
    return buckets.computeIfAbsent(key, k -> new Bucket());
  }
}
