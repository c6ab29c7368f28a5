package dev.uat.observatory.store;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import java.util.Map;

/**
 * A 128-bit Bloom filter over the (tag, value) pairs and span names of a trace: a search skips a
 * trace whose filter lacks a pair it asks for without looking at its spans. Values that are not
 * compared by exact text (doubles, arrays, maps, bytes) set the bits of (key, "other") instead, and
 * a search for such a key lets the trace through. False positives only cost the exact check.
 *
 * <p>The filter of one trace is two longs, {@code bits[0]} and {@code bits[1]}.
 */
final class TagBloom {
  private static final int OTHER = 0x6f746872; // a value hash no text is looked up with
  private static final int OPERATION_KEY = 0x0b5e12a7;
  private static final int TRUE = "true".hashCode();
  private static final int FALSE = "false".hashCode();

  private TagBloom() {}

  /** The bits for one (key, value-hash) pair. */
  static long hash(int keyHash, int valueHash) {
    long h = keyHash * 0x9E3779B97F4A7C15L + valueHash;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 32;
    return h;
  }

  static void set(long[] bits, long h) {
    for (int i = 0; i < 3; i++) {
      int bit = (int) (h >>> (7 * i)) & 127;
      bits[bit >>> 6] |= 1L << (bit & 63);
    }
  }

  static boolean has(long lo, long hi, long h) {
    for (int i = 0; i < 3; i++) {
      int bit = (int) (h >>> (7 * i)) & 127;
      long word = (bit >>> 6) == 0 ? lo : hi;
      if ((word & (1L << (bit & 63))) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Adds a span's own name, attributes, derived tags and event fields. */
  static void addSpan(long[] bits, Span span) {
    set(bits, hash(OPERATION_KEY, span.name().hashCode()));
    addAll(bits, span.attributes());
    if (span.statusCode() == StatusCode.ERROR) {
      set(bits, hash(AttributeNames.ERROR.hashCode(), TRUE));
    }
    String kind = SpanMatcher.kindTag(span.kind());
    if (kind != null) {
      set(bits, hash(AttributeNames.SPAN_KIND.hashCode(), kind.hashCode()));
    }
    if (span.statusCode() != StatusCode.UNSET) {
      set(
          bits,
          hash(AttributeNames.OTEL_STATUS_CODE.hashCode(), span.statusCode().name().hashCode()));
    }
    if (!span.statusMessage().isEmpty()) {
      set(
          bits,
          hash(AttributeNames.OTEL_STATUS_DESCRIPTION.hashCode(), span.statusMessage().hashCode()));
    }
    if (!span.scope().name().isEmpty()) {
      set(bits, hash(AttributeNames.OTEL_SCOPE_NAME.hashCode(), span.scope().name().hashCode()));
    }
    if (!span.scope().version().isEmpty()) {
      set(
          bits,
          hash(AttributeNames.OTEL_SCOPE_VERSION.hashCode(), span.scope().version().hashCode()));
    }
    if (!span.traceState().isEmpty()) {
      set(bits, hash(AttributeNames.W3C_TRACESTATE.hashCode(), span.traceState().hashCode()));
    }
    for (Event event : span.events()) {
      set(bits, hash("event".hashCode(), event.name().hashCode()));
      addAll(bits, event.attributes());
    }
  }

  static void addAll(long[] bits, Attributes attributes) {
    for (int i = 0, n = attributes.size(); i < n; i++) {
      int key = attributes.key(i).hashCode();
      Object value = attributes.value(i);
      int valueHash =
          switch (value) {
            case String s -> s.hashCode();
            case Boolean b -> b ? TRUE : FALSE;
            case Long l -> decimalHash(l);
            default -> OTHER;
          };
      set(bits, hash(key, valueHash));
    }
  }

  /** {@code Long.toString(value).hashCode()} without making the string. */
  static int decimalHash(long value) {
    if (value == Long.MIN_VALUE) {
      return Long.toString(value).hashCode();
    }
    int h = 0;
    if (value < 0) {
      h = '-';
      value = -value;
    }
    long divisor = 1;
    while (divisor <= value / 10) {
      divisor *= 10;
    }
    for (; divisor > 0; divisor /= 10) {
      h = 31 * h + (char) ('0' + (value / divisor) % 10);
    }
    return h;
  }

  /** What a query needs of a trace's filter. */
  static final class Probe {
    private final long[] pairs; // per condition: the (key, value) hash then the (key, other) hash

    Probe(TraceQuery query) {
      int n = query.tags().size() + (query.operation().isEmpty() ? 0 : 1);
      pairs = new long[2 * n];
      int i = 0;
      if (!query.operation().isEmpty()) {
        long h = hash(OPERATION_KEY, query.operation().hashCode());
        pairs[i++] = h;
        pairs[i++] = h;
      }
      for (Map.Entry<String, String> tag : query.tags().entrySet()) {
        int key = tag.getKey().hashCode();
        pairs[i++] = hash(key, tag.getValue().hashCode());
        pairs[i++] = hash(key, OTHER);
      }
    }

    boolean mayMatch(long lo, long hi) {
      for (int i = 0; i < pairs.length; i += 2) {
        if (!has(lo, hi, pairs[i]) && !has(lo, hi, pairs[i + 1])) {
          return false;
        }
      }
      return true;
    }
  }
}
