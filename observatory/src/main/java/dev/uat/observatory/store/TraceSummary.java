package dev.uat.observatory.store;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a search result list shows of a trace, without its spans.
 *
 * @param rootService service of the root span (the earliest span when no span is a root)
 * @param rootName name of that span
 * @param startEpochNanos earliest span start
 * @param durationNanos latest span end minus earliest start
 * @param errorCount spans with status ERROR
 * @param spansByService span count per service, in order of first appearance
 */
public record TraceSummary(
    TraceId traceId,
    String rootService,
    String rootName,
    long startEpochNanos,
    long durationNanos,
    int spanCount,
    int errorCount,
    Map<String, Integer> spansByService) {
  public TraceSummary {
    requireNonNull(traceId, "traceId");
    requireNonNull(rootService, "rootService");
    requireNonNull(rootName, "rootName");
    spansByService = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(spansByService));
  }

  /** The summary of a whole trace. */
  public static TraceSummary of(Trace trace) {
    Span root = null;
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    int errors = 0;
    Map<String, Integer> services = new LinkedHashMap<>();
    for (Span span : trace.spans()) {
      if (root == null || (!root.isRoot() && span.isRoot())) {
        root = span; // spans come ordered by start: the earliest root, else the earliest span
      }
      start = Math.min(start, span.startEpochNanos());
      end = Math.max(end, span.endEpochNanos());
      if (span.statusCode() == StatusCode.ERROR) {
        errors++;
      }
      services.merge(span.serviceName(), 1, Integer::sum);
    }
    return new TraceSummary(
        trace.traceId(),
        root.serviceName(),
        root.name(),
        start,
        Math.max(0, end - start),
        trace.spans().size(),
        errors,
        services);
  }
}
