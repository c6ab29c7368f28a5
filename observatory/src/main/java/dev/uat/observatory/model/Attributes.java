package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * An immutable, ordered list of key-value attributes, as OTLP sends them (keys are expected to be
 * unique, but duplicates are kept rather than checked for).
 *
 * <p>A value is one of: {@link String}, {@link Boolean}, {@link Long}, {@link Double}, {@link
 * Bytes}, an immutable {@link List} of such values (an OTLP array) or a nested {@code Attributes}
 * (an OTLP key-value list). Keys and values are stored in one interleaved array, so a set of
 * attributes costs one object and one array.
 */
public final class Attributes {
  private static final Object[] NO_ENTRIES = new Object[0];
  private static final Attributes EMPTY = new Attributes(NO_ENTRIES);

  /** key0, value0, key1, value1, ... */
  private final Object[] entries;

  private int hash; // lazily computed, 0 = not yet

  private Attributes(Object[] entries) {
    this.entries = entries;
  }

  public static Attributes empty() {
    return EMPTY;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Attributes from alternating keys and values, e.g. {@code of("k", "v", "n", 1L)}. */
  public static Attributes of(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must come in pairs");
    }
    Builder builder = new Builder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      builder.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return builder.build();
  }

  public int size() {
    return entries.length >> 1;
  }

  public boolean isEmpty() {
    return entries.length == 0;
  }

  /** The key at {@code index} (0 to {@code size() - 1}). */
  public String key(int index) {
    return (String) entries[index << 1];
  }

  /** The value at {@code index}: one of the types listed on this class. */
  public Object value(int index) {
    return entries[(index << 1) + 1];
  }

  /** The value of the first attribute named {@code key}. */
  public Optional<Object> get(String key) {
    return Optional.ofNullable(find(key));
  }

  /** The first attribute named {@code key} when it is a string. */
  public Optional<String> getString(String key) {
    return find(key) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  private Object find(String key) {
    for (int i = 0; i < entries.length; i += 2) {
      if (key.equals(entries[i])) {
        return entries[i + 1];
      }
    }
    return null;
  }

  public void forEach(BiConsumer<String, Object> action) {
    for (int i = 0; i < entries.length; i += 2) {
      action.accept((String) entries[i], entries[i + 1]);
    }
  }

  /** A copy as an insertion-ordered map (the last of duplicate keys wins). */
  public Map<String, Object> asMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    forEach(map::put);
    return map;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attributes other
        && hashCode() == other.hashCode()
        && Arrays.equals(entries, other.entries);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(entries);
      hash = h == 0 ? 1 : h;
    }
    return hash;
  }

  @Override
  public String toString() {
    return asMap().toString();
  }

  static Object checkValue(Object value) {
    return switch (requireNonNull(value, "value")) {
      case String s -> s;
      case Boolean b -> b;
      case Long l -> l;
      case Double d -> d;
      case Bytes b -> b;
      case Attributes a -> a;
      case List<?> list -> {
        List<?> copy = List.copyOf(list);
        copy.forEach(Attributes::checkValue);
        yield copy;
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported attribute value type: " + value.getClass().getName());
    };
  }

  /**
   * Builds {@link Attributes}. Not thread-safe. {@link #build()} copies, so a builder may be reused
   * after {@link #clear()}, which decoders do to avoid garbage.
   */
  public static final class Builder {
    private Object[] entries = NO_ENTRIES;
    private int length;

    private Builder() {}

    public Builder put(String key, String value) {
      return add(requireNonNull(key, "key"), requireNonNull(value, "value"));
    }

    public Builder put(String key, long value) {
      return add(requireNonNull(key, "key"), value);
    }

    public Builder put(String key, double value) {
      return add(requireNonNull(key, "key"), value);
    }

    public Builder put(String key, boolean value) {
      return add(requireNonNull(key, "key"), value);
    }

    /**
     * Adds a value of one of the types listed on {@link Attributes}.
     *
     * @throws IllegalArgumentException for any other type
     */
    public Builder put(String key, Object value) {
      return add(requireNonNull(key, "key"), checkValue(value));
    }

    private Builder add(String key, Object value) {
      if (length == entries.length) {
        entries = Arrays.copyOf(entries, Math.max(8, length * 2));
      }
      entries[length++] = key;
      entries[length++] = value;
      return this;
    }

    public int size() {
      return length >> 1;
    }

    public Builder clear() {
      Arrays.fill(entries, 0, length, null);
      length = 0;
      return this;
    }

    public Attributes build() {
      return length == 0 ? EMPTY : new Attributes(Arrays.copyOf(entries, length));
    }
  }
}
