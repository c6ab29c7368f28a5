package dev.uat.observatory.otlp;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Resource;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * Returns one shared instance for equal values (resources and scopes decoded from JSON, strings).
 * Bounded in bytes: only values of at most {@code maxChars} characters of text are shared (larger
 * ones are returned as they are), and at most {@code maxSize} of them, so the interner holds at
 * most about {@code maxSize * 2 * maxChars} bytes; when full it starts over. Thread-safe.
 */
final class Interner<T> {
  private final ConcurrentHashMap<T, T> values = new ConcurrentHashMap<>();
  private final int maxSize;
  private final int maxChars;
  private final ToIntFunction<T> chars;

  Interner(int maxSize, int maxChars, ToIntFunction<T> chars) {
    this.maxSize = maxSize;
    this.maxChars = maxChars;
    this.chars = chars;
  }

  /** Strings of at most {@code maxChars}. */
  static Interner<String> strings(int maxSize, int maxChars) {
    return new Interner<>(maxSize, maxChars, String::length);
  }

  static Interner<Resource> resources(int maxSize, int maxChars) {
    return new Interner<>(maxSize, maxChars, r -> chars(r.attributes()));
  }

  static Interner<InstrumentationScope> scopes(int maxSize, int maxChars) {
    return new Interner<>(
        maxSize, maxChars, s -> s.name().length() + s.version().length() + chars(s.attributes()));
  }

  T intern(T value) {
    T existing = values.get(value);
    if (existing != null) {
      return existing;
    }
    if (chars.applyAsInt(value) > maxChars) {
      return value;
    }
    if (values.size() >= maxSize) {
      values.clear();
    }
    existing = values.putIfAbsent(value, value);
    return existing != null ? existing : value;
  }

  /** Characters of text in keys and values, 16 per other value; saturates past a million. */
  static int chars(Attributes attributes) {
    long n = 0;
    for (int i = 0; i < attributes.size() && n < 1_000_000; i++) {
      n += attributes.key(i).length() + chars(attributes.value(i));
    }
    return (int) Math.min(n, 1_000_000);
  }

  private static long chars(Object value) {
    return switch (value) {
      case String s -> s.length();
      case Attributes a -> chars(a);
      case List<?> list -> {
        long n = 0;
        for (Object element : list) {
          n += chars(element);
        }
        yield n;
      }
      default -> 16;
    };
  }
}
