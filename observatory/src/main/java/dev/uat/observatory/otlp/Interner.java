package dev.uat.observatory.otlp;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Returns one shared instance for equal values (resources and scopes decoded from JSON, strings).
 * Bounded: when full it starts over, so a flood of distinct values cannot grow it. Thread-safe.
 */
final class Interner<T> {
  private final ConcurrentHashMap<T, T> values = new ConcurrentHashMap<>();
  private final int maxSize;

  Interner(int maxSize) {
    this.maxSize = maxSize;
  }

  T intern(T value) {
    T existing = values.get(value);
    if (existing != null) {
      return existing;
    }
    if (values.size() >= maxSize) {
      values.clear();
    }
    existing = values.putIfAbsent(value, value);
    return existing != null ? existing : value;
  }
}
