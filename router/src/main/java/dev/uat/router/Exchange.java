package dev.uat.router;

import dev.uat.router.provider.ChatRequest;

/**
 * One chat request on its way through the interceptor chain: what was asked, by whom, how it may be
 * answered, and what happened to it (route, cache, time spent upstream). Confined to the request's
 * thread.
 */
final class Exchange {
  /** How the response cache may be used for this request. */
  enum CachePolicy {
    /** Look up, and store a fresh answer. */
    USE,
    /** Do not look up ({@code Cache-Control: no-cache}), but store the fresh answer. */
    REFRESH,
    /** Neither look up nor store ({@code Cache-Control: no-store}). */
    BYPASS
  }

  final Caller caller;
  final ChatRequest request;
  final Route route;
  final boolean stream;
  final CachePolicy cachePolicy;
  final long startNanos;

  /** Time spent waiting for upstreams, in nanoseconds (the overhead excludes it). */
  long upstreamNanos;

  /** The provider instance that answered (or "cache"), or null. */
  String answeredBy;

  /** {@code hit}, {@code miss} or {@code bypass}; null until the cache interceptor ran. */
  String cacheStatus;

  Exchange(
      Caller caller,
      ChatRequest request,
      Route route,
      boolean stream,
      CachePolicy cachePolicy,
      long startNanos) {
    this.caller = caller;
    this.request = request;
    this.route = route;
    this.stream = stream;
    this.cachePolicy = cachePolicy;
    this.startNanos = startNanos;
  }

  boolean cacheHit() {
    return "hit".equals(cacheStatus);
  }

  /** Router time so far: since the start, minus the time upstream. */
  long overheadNanos() {
    return Math.max(0, System.nanoTime() - startNanos - upstreamNanos);
  }
}
