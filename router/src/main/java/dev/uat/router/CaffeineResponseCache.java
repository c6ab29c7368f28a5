package dev.uat.router;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.uat.router.provider.ChatResponse;
import java.time.Duration;

/**
 * The in-process cache (Caffeine): bounded in bytes ({@link RouterConfig.Cache#maxBytes}), each
 * answer weighed by {@link ResponseCache#weight}, evicted by W-TinyLFU when full (counted as {@code
 * uat.router.budget.evictions{uat.router.budget=response_cache}}), expiring after the TTL. Keys are
 * per tenant ({@link ResponseCache#key}). Thread-safe; never throws.
 */
final class CaffeineResponseCache implements ResponseCache {
  private final Cache<String, ChatResponse> cache;
  private final long maxBytes;

  CaffeineResponseCache(long maxBytes, Duration ttl, RouterMetrics metrics) {
    this.maxBytes = maxBytes;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, ChatResponse>weigher(ResponseCache::weight)
            .expireAfterWrite(ttl)
            .executor(Runnable::run)
            .<String, ChatResponse>evictionListener(
                (k, v, cause) -> {
                  if (cause == RemovalCause.SIZE) {
                    metrics.evicted(RouterMetrics.Structure.RESPONSE_CACHE);
                  }
                })
            .build();
  }

  @Override
  public ChatResponse get(String key) {
    return cache.getIfPresent(key);
  }

  @Override
  public void put(String key, ChatResponse answer) {
    cache.put(key, answer);
  }

  /** Drops every entry. */
  void clear() {
    cache.invalidateAll();
  }

  /** Estimated bytes held now. */
  long bytes() {
    return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  @Override
  public void close() {
    cache.invalidateAll();
  }

  @Override
  public String toString() {
    return "CaffeineResponseCache{" + cache.estimatedSize() + " entries, " + maxBytes + " bytes}";
  }
}
