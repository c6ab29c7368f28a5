package dev.uat.observatory.metrics;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Map;

/**
 * Records every span into two instruments named as the OpenTelemetry Collector's spanmetrics
 * connector names them, so that its dashboards, Jaeger's Monitor tab (through Prometheus) and
 * Prometheus rules written for it work unchanged: {@code traces.span.metrics.calls} and {@code
 * traces.span.metrics.duration} (milliseconds, the connector's default buckets), with the
 * attributes {@code service.name}, {@code span.name}, {@code span.kind} ({@code SPAN_KIND_SERVER},
 * ...) and {@code status.code} ({@code STATUS_CODE_ERROR}, ...). The Prometheus exposition turns
 * them into {@code traces_span_metrics_calls_total} and {@code
 * traces_span_metrics_duration_milliseconds_bucket} with the labels {@code service_name}, {@code
 * span_name}, {@code span_kind}, {@code status_code}.
 *
 * <p>Some recordings carry the span's own trace and span id as context, which the SDK keeps as
 * exemplars (shown in OpenMetrics): every error and one span in {@value #EXEMPLAR_EVERY}. Not
 * thread-safe: called under {@link RedMetrics}' lock.
 */
final class SpanMetricsExporter {
  static final int EXEMPLAR_EVERY = 16;
  private static final int MAX_CACHED = 4096;
  private static final AttributeKey<String> SERVICE = AttributeNames.SPANMETRICS_SERVICE_NAME;
  private static final AttributeKey<String> NAME = AttributeNames.SPANMETRICS_SPAN_NAME;
  private static final AttributeKey<String> KIND = AttributeNames.SPANMETRICS_SPAN_KIND;
  private static final AttributeKey<String> STATUS = AttributeNames.SPANMETRICS_STATUS_CODE;
  private static final String[] KINDS = {
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER"
  };
  private static final String[] STATUSES = {
    "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"
  };

  private final LongCounter calls;
  private final DoubleHistogram duration;
  private final Map<String, Map<String, Attributes[]>> cache = new HashMap<>();
  private int cached;
  private long count;

  SpanMetricsExporter(Meter meter) {
    calls =
        meter
            .counterBuilder("traces.span.metrics.calls")
            .setUnit("{call}")
            .setDescription("Spans received, by service, span name, kind and status (spanmetrics)")
            .build();
    duration =
        meter
            .histogramBuilder("traces.span.metrics.duration")
            .setUnit("ms")
            .setDescription("Durations of the spans received (spanmetrics)")
            .setExplicitBucketBoundariesAdvice(Buckets.SPANMETRICS_MILLIS)
            .build();
  }

  void record(Span span) {
    Attributes attributes = attributes(span);
    double millis = span.durationNanos() / 1_000_000.0;
    boolean error = span.statusCode() == StatusCode.ERROR;
    if (error || ++count % EXEMPLAR_EVERY == 0) {
      Context context =
          Context.root()
              .with(
                  io.opentelemetry.api.trace.Span.wrap(
                      SpanContext.create(
                          Ids.hex(span.traceIdHigh(), span.traceIdLow()),
                          Ids.hex(span.spanId()),
                          TraceFlags.getSampled(),
                          TraceState.getDefault())));
      calls.add(1, attributes, context);
      duration.record(millis, attributes, context);
    } else {
      calls.add(1, attributes);
      duration.record(millis, attributes);
    }
  }

  private Attributes attributes(Span span) {
    Map<String, Attributes[]> names = cache.get(span.serviceName());
    Attributes[] byKindAndStatus = names == null ? null : names.get(span.name());
    int slot = span.kind().ordinal() * 3 + span.statusCode().ordinal();
    if (byKindAndStatus != null && byKindAndStatus[slot] != null) {
      return byKindAndStatus[slot];
    }
    Attributes attributes =
        Attributes.of(
            SERVICE,
            span.serviceName(),
            NAME,
            span.name(),
            KIND,
            KINDS[span.kind().ordinal()],
            STATUS,
            STATUSES[span.statusCode().ordinal()]);
    if (cached < MAX_CACHED) {
      if (byKindAndStatus == null) {
        byKindAndStatus = new Attributes[SpanKind.values().length * 3];
        cache
            .computeIfAbsent(span.serviceName(), s -> new HashMap<>())
            .put(span.name(), byKindAndStatus);
      }
      byKindAndStatus[slot] = attributes;
      cached++;
    }
    return attributes;
  }
}
