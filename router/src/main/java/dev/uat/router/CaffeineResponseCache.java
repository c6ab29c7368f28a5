package dev.uat.router;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.uat.router.provider.ChatResponse;
import java.time.Duration;

/** The in-process cache (Caffeine: bounded, size-evicted by W-TinyLFU, expiring after the TTL). */
final class CaffeineResponseCache implements ResponseCache {
  private final Cache<String, ChatResponse> cache;

  CaffeineResponseCache(long maxEntries, Duration ttl) {
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).build();
  }

  @Override
  public ChatResponse get(String key) {
    return cache.getIfPresent(key);
  }

  @Override
  public void put(String key, ChatResponse answer) {
    cache.put(key, answer);
  }

  @Override
  public void close() {
    cache.invalidateAll();
  }

  @Override
  public String toString() {
    return "CaffeineResponseCache{" + cache.estimatedSize() + " entries}";
  }
}
