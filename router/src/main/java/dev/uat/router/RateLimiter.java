package dev.uat.router;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.uat.web.HttpError;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Requests per minute and tokens per minute per caller (an API key, or a user with a JWT), as token
 * buckets that refill continuously. A request is admitted while both buckets hold something; its
 * tokens (prompt and completion, known only at the end) are charged afterwards, so a large answer
 * may push the token bucket below zero and hold the next requests back until it refills. Refusals
 * are 429 with {@code Retry-After}. Buckets of callers idle for {@link #IDLE} are forgotten.
 *
 * <p>The buckets are kept per authenticated caller (a key id or an account id, never anything a
 * request names), in a map bounded in bytes ({@link #MAX_BYTES}, each bucket weighed by {@link
 * #weight}); when it is full the least useful bucket is dropped and counted ({@code
 * uat.router.bounded.evictions{uat.router.structure=rate_limit_buckets}}): its caller starts again
 * with full buckets, so a flood of callers can loosen limits, never refuse anyone. Thread-safe.
 */
final class RateLimiter {
  private static final double NANOS_PER_MINUTE = 60e9;

  /** Byte budget of the per-caller buckets. */
  static final long MAX_BYTES = 4L * 1024 * 1024;

  /** How long an idle caller's buckets are kept. */
  static final Duration IDLE = Duration.ofMinutes(2);

  private final RouterConfig.Limits defaults;
  private final LongSupplier clock;
  private final RouterMetrics metrics;
  private final Cache<String, Buckets> buckets;

  RateLimiter(RouterConfig.Limits defaults, LongSupplier clock, RouterMetrics metrics) {
    this(defaults, clock, metrics, MAX_BYTES);
  }

  RateLimiter(
      RouterConfig.Limits defaults, LongSupplier clock, RouterMetrics metrics, long maxBytes) {
    this.defaults = defaults;
    this.clock = clock;
    this.metrics = metrics;
    this.buckets =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, Buckets>weigher((k, b) -> weight(k))
            .expireAfterAccess(IDLE)
            .executor(Runnable::run)
            .<String, Buckets>evictionListener(
                (k, b, cause) -> {
                  if (cause == RemovalCause.SIZE) {
                    metrics.evicted(RouterMetrics.Structure.RATE_LIMIT_BUCKETS);
                  }
                })
            .build();
  }

  /**
   * Estimated bytes of one caller's buckets: the key (2 bytes a char plus 40 of String), the
   * buckets object (40) and the map's node (about 80).
   */
  static int weight(String key) {
    return 160 + 2 * key.length();
  }

  /** Estimated bytes held by the buckets now. */
  long bytes() {
    return buckets.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  private Integer rpm(Caller c) {
    return defaults.requestsPerMinute();
  }

  private Integer tpm(Caller c) {
    return defaults.tokensPerMinute();
  }

  /**
   * Admits one request or refuses it.
   *
   * @throws HttpError 429 {@code rate_limit_exceeded} with the seconds to wait
   */
  void admit(Caller caller) {
    Integer rpm = rpm(caller);
    Integer tpm = tpm(caller);
    if (rpm == null && tpm == null) {
      return;
    }
    Buckets b = buckets.get(caller.limitKey(), k -> new Buckets(clock.getAsLong()));
    long waitNanos;
    boolean tokens;
    synchronized (b) {
      b.refill(clock.getAsLong(), rpm, tpm);
      if (rpm != null && b.requests < 1) {
        waitNanos = (long) ((1 - b.requests) * NANOS_PER_MINUTE / rpm);
        tokens = false;
      } else if (tpm != null && b.tokens <= 0) {
        waitNanos = (long) ((1 - b.tokens) * NANOS_PER_MINUTE / tpm);
        tokens = true;
      } else {
        b.requests -= 1;
        return;
      }
    }
    metrics.rateLimited(tokens);
    long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    throw new HttpError(
        429,
        "rate_limit_exceeded",
        (tokens
                ? "tokens per minute limit (" + tpm + ") reached"
                : "requests per minute limit (" + rpm + ") reached")
            + " for "
            + (caller.keyId() != null ? "this API key" : "this user")
            + "; retry in "
            + seconds
            + " s",
        seconds);
  }

  /** Charges the tokens a request used. */
  void charge(Caller caller, int tokens) {
    Integer tpm = tpm(caller);
    if (tpm == null || tokens <= 0) {
      return;
    }
    Buckets b = buckets.get(caller.limitKey(), k -> new Buckets(clock.getAsLong()));
    synchronized (b) {
      b.refill(clock.getAsLong(), rpm(caller), tpm);
      b.tokens -= tokens;
    }
  }

  /** Both buckets of one caller; full at first. Guarded by its own monitor. */
  private static final class Buckets {
    double requests = Double.NaN;
    double tokens = Double.NaN;
    long last;

    Buckets(long now) {
      this.last = now;
    }

    void refill(long now, Integer rpm, Integer tpm) {
      long elapsed = now - last;
      last = now;
      if (rpm != null) {
        requests =
            Double.isNaN(requests)
                ? rpm
                : Math.min(rpm, requests + elapsed * rpm / NANOS_PER_MINUTE);
      }
      if (tpm != null) {
        tokens =
            Double.isNaN(tokens) ? tpm : Math.min(tpm, tokens + elapsed * tpm / NANOS_PER_MINUTE);
      }
    }
  }
}
