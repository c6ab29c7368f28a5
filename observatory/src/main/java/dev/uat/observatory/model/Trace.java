package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The spans of one trace that a store holds, ordered by start time.
 *
 * @param spans never empty
 */
public record Trace(TraceId traceId, List<Span> spans) {
  public Trace {
    requireNonNull(traceId, "traceId");
    spans = List.copyOf(spans);
    if (spans.isEmpty()) {
      throw new IllegalArgumentException("a trace has at least one span");
    }
  }
}
