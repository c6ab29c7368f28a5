package dev.uat.api;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A map of limiter state bounded in bytes: each entry weighs {@link #ENTRY_OVERHEAD_BYTES} plus two
 * bytes a character of its key (the values are small fixed-size objects, counted in the overhead).
 * Past the budget the least recently used entries are evicted, and counted through {@code evicted};
 * the entry just made is never the one evicted, so a new key always gets its own state.
 * Thread-safe: one lock around a {@link LinkedHashMap} in access order (no I/O under it).
 */
final class BoundedLru<V> {
  /**
   * Estimated heap of one entry besides its key's characters: the key String (~40 bytes), the value
   * (~40), the map's entry with its access-order links (~48) and table slot, rounded up.
   */
  static final int ENTRY_OVERHEAD_BYTES = 160;

  private final long budgetBytes;
  private final LongConsumer evicted;
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, V> map = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  BoundedLru(long budgetBytes, LongConsumer evicted) {
    if (budgetBytes < 1024) {
      throw new IllegalArgumentException("budgetBytes must be at least 1 KiB");
    }
    this.budgetBytes = budgetBytes;
    this.evicted = evicted;
  }

  static long weight(String key) {
    return ENTRY_OVERHEAD_BYTES + 2L * key.length();
  }

  /** The entry of {@code key}, made by {@code make} if absent (which may evict older ones). */
  V getOrCreate(String key, Supplier<V> make) {
    long dropped = 0;
    V v;
    lock.lock();
    try {
      v = map.get(key);
      if (v == null) {
        v = make.get();
        map.put(key, v);
        bytes += weight(key);
        Iterator<Map.Entry<String, V>> eldest = map.entrySet().iterator();
        while (bytes > budgetBytes && map.size() > 1) {
          String k = eldest.next().getKey();
          eldest.remove();
          bytes -= weight(k);
          dropped++;
        }
      }
    } finally {
      lock.unlock();
    }
    if (dropped > 0) {
      evicted.accept(dropped);
    }
    return v;
  }

  /** The entry of {@code key}, or null. */
  V get(String key) {
    lock.lock();
    try {
      return map.get(key);
    } finally {
      lock.unlock();
    }
  }

  void remove(String key) {
    lock.lock();
    try {
      if (map.remove(key) != null) {
        bytes -= weight(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Estimated bytes held. */
  long bytes() {
    lock.lock();
    try {
      return bytes;
    } finally {
      lock.unlock();
    }
  }
}
