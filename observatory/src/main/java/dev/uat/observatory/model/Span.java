package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One span as the observatory stores it: OTLP's {@code Span} with its scope and resource.
 *
 * <p>Identifiers are primitive longs ({@link #traceId()} and the {@code *Hex()} methods give the
 * usual forms); {@code parentSpanId} is 0 for a root span. Times are nanoseconds since the Unix
 * epoch. {@link #scope()} and {@link #resource()} are shared with the other spans of the same
 * batch. Lists are immutable; build with {@link #builder()}.
 *
 * @param traceState the W3C {@code tracestate}, empty when none
 * @param statusMessage empty when none
 * @param flags OTLP span flags (the low 8 bits are the W3C trace flags)
 */
public record Span(
    long traceIdHigh,
    long traceIdLow,
    long spanId,
    long parentSpanId,
    String name,
    SpanKind kind,
    long startEpochNanos,
    long endEpochNanos,
    Attributes attributes,
    List<Event> events,
    List<Link> links,
    StatusCode statusCode,
    String statusMessage,
    String traceState,
    int flags,
    int droppedAttributesCount,
    int droppedEventsCount,
    int droppedLinksCount,
    InstrumentationScope scope,
    Resource resource) {

  public Span {
    if (traceIdHigh == 0 && traceIdLow == 0) {
      throw new IllegalArgumentException("traceId must not be all zeros");
    }
    if (spanId == 0) {
      throw new IllegalArgumentException("spanId must not be all zeros");
    }
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    requireNonNull(attributes, "attributes");
    events = List.copyOf(events); // no copy when already immutable
    links = List.copyOf(links);
    requireNonNull(statusCode, "statusCode");
    requireNonNull(statusMessage, "statusMessage");
    requireNonNull(traceState, "traceState");
    requireNonNull(scope, "scope");
    requireNonNull(resource, "resource");
  }

  public static Builder builder() {
    return new Builder();
  }

  public TraceId traceId() {
    return new TraceId(traceIdHigh, traceIdLow);
  }

  /** The 32 lowercase hex characters of the trace id. */
  public String traceIdHex() {
    return Ids.hex(traceIdHigh, traceIdLow);
  }

  /** The 16 lowercase hex characters of the span id. */
  public String spanIdHex() {
    return Ids.hex(spanId);
  }

  public boolean isRoot() {
    return parentSpanId == 0;
  }

  /** {@code service.name} of the resource. */
  public String serviceName() {
    return resource.serviceName();
  }

  /** End minus start, 0 when the end is before the start. */
  public long durationNanos() {
    return Math.max(0, endEpochNanos - startEpochNanos);
  }

  /** Builds a {@link Span}; not thread-safe. Unset fields are empty, zero or unspecified. */
  public static final class Builder {
    private long traceIdHigh;
    private long traceIdLow;
    private long spanId;
    private long parentSpanId;
    private String name = "";
    private SpanKind kind = SpanKind.UNSPECIFIED;
    private long startEpochNanos;
    private long endEpochNanos;
    private Attributes attributes = Attributes.empty();
    private List<Event> events = List.of();
    private List<Link> links = List.of();
    private StatusCode statusCode = StatusCode.UNSET;
    private String statusMessage = "";
    private String traceState = "";
    private int flags;
    private int droppedAttributesCount;
    private int droppedEventsCount;
    private int droppedLinksCount;
    private InstrumentationScope scope = InstrumentationScope.empty();
    private Resource resource = Resource.empty();

    private Builder() {}

    public Builder traceId(long high, long low) {
      this.traceIdHigh = high;
      this.traceIdLow = low;
      return this;
    }

    public Builder traceId(TraceId traceId) {
      return traceId(traceId.high(), traceId.low());
    }

    public Builder spanId(long spanId) {
      this.spanId = spanId;
      return this;
    }

    /** 0 for a root span. */
    public Builder parentSpanId(long parentSpanId) {
      this.parentSpanId = parentSpanId;
      return this;
    }

    public Builder name(String name) {
      this.name = requireNonNull(name, "name");
      return this;
    }

    public Builder kind(SpanKind kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    public Builder startEpochNanos(long startEpochNanos) {
      this.startEpochNanos = startEpochNanos;
      return this;
    }

    public Builder endEpochNanos(long endEpochNanos) {
      this.endEpochNanos = endEpochNanos;
      return this;
    }

    public Builder attributes(Attributes attributes) {
      this.attributes = requireNonNull(attributes, "attributes");
      return this;
    }

    public Builder events(List<Event> events) {
      this.events = requireNonNull(events, "events");
      return this;
    }

    public Builder links(List<Link> links) {
      this.links = requireNonNull(links, "links");
      return this;
    }

    public Builder status(StatusCode code, String message) {
      this.statusCode = requireNonNull(code, "code");
      this.statusMessage = requireNonNull(message, "message");
      return this;
    }

    public Builder traceState(String traceState) {
      this.traceState = requireNonNull(traceState, "traceState");
      return this;
    }

    public Builder flags(int flags) {
      this.flags = flags;
      return this;
    }

    public Builder droppedCounts(int attributes, int events, int links) {
      this.droppedAttributesCount = attributes;
      this.droppedEventsCount = events;
      this.droppedLinksCount = links;
      return this;
    }

    public Builder scope(InstrumentationScope scope) {
      this.scope = requireNonNull(scope, "scope");
      return this;
    }

    public Builder resource(Resource resource) {
      this.resource = requireNonNull(resource, "resource");
      return this;
    }

    /**
     * @throws IllegalArgumentException when the trace id or the span id is missing (all zeros)
     */
    public Span build() {
      return new Span(
          traceIdHigh,
          traceIdLow,
          spanId,
          parentSpanId,
          name,
          kind,
          startEpochNanos,
          endEpochNanos,
          attributes,
          events,
          links,
          statusCode,
          statusMessage,
          traceState,
          flags,
          droppedAttributesCount,
          droppedEventsCount,
          droppedLinksCount,
          scope,
          resource);
    }
  }
}
