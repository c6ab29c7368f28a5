package dev.uat.router;

import dev.uat.web.HttpError;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes the router may hold for requests being served at once. Requests run on virtual threads,
 * so nothing else bounds how many are in flight; each holds its body several times over (the bytes,
 * the parsed JSON, the messages, the cache key, the upstream request), so a few dozen concurrent 1
 * MiB bodies would exhaust the all-in-one's shared 256 MiB heap. Each request is charged {@link
 * #charge} — {@link #EXPANSION} times its body (the largest body allowed when the length is not
 * declared) plus {@link #PER_REQUEST} — before its body is read, and released when it ends (an
 * embeddings request is charged {@link #PER_EMBEDDING} more per input, up to half the budget, for
 * the vectors it brings back); a request that does not fit in {@link #MAX_BYTES} is refused at once
 * with 503 {@code overloaded} and {@code Retry-After: 1}, counted as {@code
 * uat.router.limit.refusals{uat.router.refusal=in_flight_bytes}}. Thread-safe, lock-free.
 */
final class InFlightBudget {
  /** Bytes the requests in flight may hold together: 32 MiB, an eighth of the all-in-one's heap. */
  static final long MAX_BYTES = 32L * 1024 * 1024;

  /** How many times its body a request is estimated to hold at its peak. */
  static final int EXPANSION = 8;

  /** What any request holds besides its body (headers, exchange, spans, buffers). */
  static final long PER_REQUEST = 16 * 1024;

  /** Estimated bytes of one embedding vector held (the JSON answer and the floats). */
  static final long PER_EMBEDDING = 32 * 1024;

  private final long maxBytes;
  private final long maxBodyBytes;
  private final RouterMetrics metrics;
  private final AtomicLong used = new AtomicLong();

  InFlightBudget(long maxBytes, long maxBodyBytes, RouterMetrics metrics) {
    this.maxBytes = maxBytes;
    this.maxBodyBytes = maxBodyBytes;
    this.metrics = metrics;
  }

  /** The charge of a request whose body declares {@code contentLength} bytes (-1: unknown). */
  long charge(long contentLength) {
    long body = contentLength < 0 ? maxBodyBytes : Math.min(contentLength, maxBodyBytes);
    return PER_REQUEST + EXPANSION * body;
  }

  /**
   * Takes the charge of one request; {@link #release} it when the request ends.
   *
   * @return the bytes taken
   * @throws HttpError 503 {@code overloaded} when they do not fit now
   */
  long acquire(long contentLength) {
    return take(charge(contentLength));
  }

  /**
   * Takes {@code n} more bytes for a request whose answer will be large (an embeddings batch);
   * {@link #release} them when it ends.
   *
   * @throws HttpError 503 {@code overloaded} when they do not fit now
   */
  long take(long n) {
    if (used.addAndGet(n) > maxBytes) {
      used.addAndGet(-n);
      metrics.refused(RouterMetrics.Refusal.IN_FLIGHT_BYTES);
      throw new HttpError(
          503,
          "overloaded",
          "the router is serving as much as it may hold at once; retry in a second",
          1);
    }
    return n;
  }

  /** What an embeddings batch of {@code inputs} is charged for its answer. */
  long embeddingsCharge(int inputs) {
    return Math.min(inputs * PER_EMBEDDING, maxBytes / 2);
  }

  void release(long n) {
    used.addAndGet(-n);
  }

  /** Bytes charged now. */
  long used() {
    return used.get();
  }
}
