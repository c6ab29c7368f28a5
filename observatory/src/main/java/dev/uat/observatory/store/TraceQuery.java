package dev.uat.observatory.store;

import static java.util.Objects.requireNonNull;

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

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some conditions of a query; {@link #build()} validates them. Not thread-safe. */
  public static final class Builder {
    private String service;
    private String operation;
    private Map<String, String> tags;
    private long minDurationNanos;
    private long maxDurationNanos;
    private long startMinNanos;
    private long startMaxNanos;
    private int limit;

    private Builder(TraceQuery q) {
      service = q.service;
      operation = q.operation;
      tags = q.tags;
      minDurationNanos = q.minDurationNanos;
      maxDurationNanos = q.maxDurationNanos;
      startMinNanos = q.startMinNanos;
      startMaxNanos = q.startMaxNanos;
      limit = q.limit;
    }

    public Builder service(String service) {
      this.service = service;
      return this;
    }

    public Builder operation(String operation) {
      this.operation = operation;
      return this;
    }

    public Builder tags(Map<String, String> tags) {
      this.tags = tags;
      return this;
    }

    public Builder minDurationNanos(long minDurationNanos) {
      this.minDurationNanos = minDurationNanos;
      return this;
    }

    public Builder maxDurationNanos(long maxDurationNanos) {
      this.maxDurationNanos = maxDurationNanos;
      return this;
    }

    public Builder startMinNanos(long startMinNanos) {
      this.startMinNanos = startMinNanos;
      return this;
    }

    public Builder startMaxNanos(long startMaxNanos) {
      this.startMaxNanos = startMaxNanos;
      return this;
    }

    public Builder limit(int limit) {
      this.limit = limit;
      return this;
    }

    public TraceQuery build() {
      return new TraceQuery(
          service,
          operation,
          tags,
          minDurationNanos,
          maxDurationNanos,
          startMinNanos,
          startMaxNanos,
          limit);
    }
  }
}
