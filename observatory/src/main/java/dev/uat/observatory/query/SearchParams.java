package dev.uat.observatory.query;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.settings.Durations;
import dev.uat.web.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a Jaeger {@code GET /api/traces} search, read as the Jaeger query service reads
 * them: {@code service} (required unless {@code traceID}s are given), {@code operation}, {@code
 * tag=key:value} (repeatable) and {@code tags={json}}, {@code minDuration}/{@code maxDuration} as
 * Go durations, {@code start}/{@code end} in epoch microseconds (values below 10^14 are taken as
 * milliseconds), {@code lookback} (a Go duration, used when {@code start} is absent; default two
 * days), {@code limit} (default 100).
 *
 * @param traceIds ids asked for directly ({@code traceID=}, repeatable); when present the other
 *     parameters are ignored
 */
record SearchParams(TraceQuery query, List<TraceId> traceIds) {
  /** Jaeger's default look-back for searches. */
  static final long DEFAULT_LOOKBACK_NANOS = 48L * 3600 * 1_000_000_000L;

  /** More tags than this in one search are refused. */
  static final int MAX_TAGS = 64;

  /** Epoch values at or above this are microseconds, below it milliseconds. */
  static final long MICROS_THRESHOLD = 100_000_000_000_000L;

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  /**
   * @throws IllegalArgumentException with the message the API answers with
   */
  static SearchParams parse(Map<String, List<String>> params, long nowEpochMillis) {
    List<TraceId> traceIds = new ArrayList<>();
    for (String id : all(params, "traceID")) {
      try {
        traceIds.add(TraceId.parse(id));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot parse traceID param: " + e.getMessage());
      }
    }
    String service = first(params, "service");
    if (service.isEmpty() && traceIds.isEmpty()) {
      throw new IllegalArgumentException("parameter 'service' is required");
    }
    long endNanos =
        first(params, "end").isEmpty()
            ? nowEpochMillis * 1_000_000
            : epochNanos(first(params, "end"), "end");
    long startNanos;
    if (!first(params, "start").isEmpty()) {
      startNanos = epochNanos(first(params, "start"), "start");
    } else {
      String lookback = first(params, "lookback");
      long lookbackNanos =
          lookback.isEmpty() || lookback.equals("custom")
              ? DEFAULT_LOOKBACK_NANOS
              : duration(lookback, "lookback");
      startNanos = Math.max(1, endNanos - lookbackNanos);
    }
    long minDuration = durationOrZero(params, "minDuration");
    long maxDuration = durationOrZero(params, "maxDuration");
    if (minDuration != 0 && maxDuration != 0 && maxDuration < minDuration) {
      throw new IllegalArgumentException("'maxDuration' should be greater than 'minDuration'");
    }
    int limit = TraceQuery.DEFAULT_LIMIT;
    String limitText = first(params, "limit");
    if (!limitText.isEmpty()) {
      try {
        limit = Integer.parseInt(limitText.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("unable to parse param 'limit': " + limitText);
      }
      if (limit <= 0) {
        limit = TraceQuery.DEFAULT_LIMIT; // Jaeger reads 0 as "the default"
      }
      if (limit > TraceQuery.MAX_LIMIT) {
        throw new IllegalArgumentException(
            "'limit' must be at most " + TraceQuery.MAX_LIMIT + ", not " + limit);
      }
    }
    TraceQuery query =
        new TraceQuery(
            service,
            first(params, "operation"),
            tags(params),
            minDuration,
            maxDuration,
            startNanos,
            endNanos,
            limit);
    return new SearchParams(query, List.copyOf(traceIds));
  }

  static Map<String, String> tags(Map<String, List<String>> params) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String tag : all(params, "tag")) {
      int colon = tag.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "malformed 'tag' parameter, expecting key:value, received: " + tag);
      }
      tags.put(tag.substring(0, colon), tag.substring(colon + 1));
    }
    for (String json : all(params, "tags")) {
      if (json.isBlank()) {
        continue;
      }
      try {
        Map<String, String> parsed = Json.MAPPER.readValue(json, STRING_MAP);
        parsed.forEach(
            (k, v) -> {
              if (k == null || v == null) {
                throw new IllegalArgumentException("null key or value");
              }
              tags.put(k, v);
            });
      } catch (Exception e) {
        throw new IllegalArgumentException(
            "malformed 'tags' parameter, cannot unmarshal JSON: expected an object of strings");
      }
    }
    if (tags.size() > MAX_TAGS) {
      throw new IllegalArgumentException("at most " + MAX_TAGS + " tags may be searched for");
    }
    return tags;
  }

  /** Epoch microseconds, or milliseconds when the value is too small to be microseconds. */
  static long epochNanos(String text, String name) {
    long value;
    try {
      value = Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("unable to parse param '" + name + "': " + text);
    }
    if (value < 0) {
      throw new IllegalArgumentException("param '" + name + "' must not be negative");
    }
    long micros = value >= MICROS_THRESHOLD ? value : value * 1_000;
    return Math.multiplyHigh(micros, 1_000) != 0 ? Long.MAX_VALUE : micros * 1_000;
  }

  static long duration(String text, String name) {
    try {
      long nanos = Durations.parseNanos(text);
      if (nanos < 0) {
        throw new IllegalArgumentException("must not be negative");
      }
      return nanos;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unable to parse param '" + name + "': " + e.getMessage());
    }
  }

  private static long durationOrZero(Map<String, List<String>> params, String name) {
    String text = first(params, name);
    return text.isEmpty() ? 0 : duration(text, name);
  }

  static String first(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() || values.getFirst() == null
        ? ""
        : values.getFirst().trim();
  }

  private static List<String> all(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null ? List.of() : values;
  }
}
