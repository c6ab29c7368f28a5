package dev.uat.observatory.store;

import static java.util.Objects.requireNonNull;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.Map;

/**
 * What a trace search asks for, with Jaeger's semantics: a trace matches when at least one of its
 * spans satisfies every given condition at once (its service, its operation, all tags, its duration
 * and its start time). Tags match span attributes, the derived tags of the Jaeger mapping ({@code
 * error}, {@code span.kind}, {@code otel.status_code}, ...), resource attributes and event
 * attributes, compared as text.
 *
 * @param service "" for any service
 * @param operation "" for any operation (span name)
 * @param tags key to value, all required
 * @param minDurationNanos 0 for no lower bound
 * @param maxDurationNanos 0 for no upper bound
 * @param startMinNanos earliest span start, epoch nanoseconds (0 for no bound)
 * @param startMaxNanos latest span start, epoch nanoseconds (0 for no bound)
 * @param limit most traces returned, newest first
 */
@RecordBuilder
public record TraceQuery(
    String service,
    String operation,
    Map<String, String> tags,
    long minDurationNanos,
    long maxDurationNanos,
    long startMinNanos,
    long startMaxNanos,
    int limit) {
  /** Jaeger's default number of traces. */
  public static final int DEFAULT_LIMIT = 100;

  /** The most a query may ask for. */
  public static final int MAX_LIMIT = 10_000;

  public TraceQuery {
    requireNonNull(service, "service");
    requireNonNull(operation, "operation");
    tags = Map.copyOf(tags);
    if (minDurationNanos < 0 || maxDurationNanos < 0) {
      throw new IllegalArgumentException("durations must not be negative");
    }
    if (maxDurationNanos != 0 && maxDurationNanos < minDurationNanos) {
      throw new IllegalArgumentException("maxDuration must not be less than minDuration");
    }
    if (limit <= 0 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ": " + limit);
    }
  }

  /** Any trace of {@code service} ("" for any), newest {@link #DEFAULT_LIMIT} first. */
  public static TraceQuery service(String service) {
    return new TraceQuery(service, "", Map.of(), 0, 0, 0, 0, DEFAULT_LIMIT);
  }

  public TraceQuery withOperation(String operation) {
    return toBuilder().operation(operation).build();
  }

  public TraceQuery withTags(Map<String, String> tags) {
    return toBuilder().tags(tags).build();
  }

  public TraceQuery withDurations(long minNanos, long maxNanos) {
    return toBuilder().minDurationNanos(minNanos).maxDurationNanos(maxNanos).build();
  }

  public TraceQuery withStart(long minNanos, long maxNanos) {
    return toBuilder().startMinNanos(minNanos).startMaxNanos(maxNanos).build();
  }

  public TraceQuery withLimit(int limit) {
    return toBuilder().limit(limit).build();
  }

  /** A builder holding these settings: change what differs, then {@code build()}. */
  public TraceQueryBuilder toBuilder() {
    return TraceQueryBuilder.builder(this);
  }
}
