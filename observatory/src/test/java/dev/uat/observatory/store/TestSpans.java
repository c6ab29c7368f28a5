package dev.uat.observatory.store;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.TraceId;

/** Spans for store tests. */
final class TestSpans {
  static final long START = 1_700_000_000_000_000_000L;

  private TestSpans() {}

  static Resource service(String name) {
    return Resource.of(Attributes.of("service.name", name));
  }

  static TraceId traceId(long n) {
    return new TraceId(0x0123_4567_89ab_cdefL, n);
  }

  static Span span(TraceId traceId, long spanId, long parentSpanId, Resource resource) {
    return Span.builder()
        .traceId(traceId)
        .spanId(spanId)
        .parentSpanId(parentSpanId)
        .name("op-" + spanId)
        .kind(SpanKind.SERVER)
        .startEpochNanos(START + spanId * 1_000)
        .endEpochNanos(START + spanId * 1_000 + 500)
        .attributes(Attributes.of("http.route", "/api/chat", "n", spanId))
        .resource(resource)
        .build();
  }

  static Span span(TraceId traceId, long spanId, Resource resource) {
    return span(traceId, spanId, 0, resource);
  }
}
