package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

/**
 * A reference from a span to another span, possibly of another trace (OTLP {@code Span.Link}).
 *
 * @param traceState the W3C {@code tracestate} of the linked span, empty when none
 * @param flags OTLP span flags (the low 8 bits are the W3C trace flags)
 */
public record Link(
    long traceIdHigh,
    long traceIdLow,
    long spanId,
    String traceState,
    Attributes attributes,
    int droppedAttributesCount,
    int flags) {
  public Link {
    requireNonNull(traceState, "traceState");
    requireNonNull(attributes, "attributes");
  }

  public TraceId traceId() {
    return new TraceId(traceIdHigh, traceIdLow);
  }
}
