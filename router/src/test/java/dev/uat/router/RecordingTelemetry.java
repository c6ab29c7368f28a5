package dev.uat.router;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Collection;
import java.util.List;

/**
 * Like {@code TestTelemetry}, and the metrics readable as data too (names, units, bucket
 * boundaries, attributes, values), not only through {@code /metrics}.
 */
final class RecordingTelemetry implements AutoCloseable {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final Telemetry telemetry;

  RecordingTelemetry() {
    PrometheusMetricReader prometheus =
        PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
    Resource resource =
        Resource.getDefault()
            .merge(
                Resource.builder()
                    .put(AttributeKey.stringKey("service.name"), "uat-router")
                    .build());
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .setResource(resource)
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setMeterProvider(
                SdkMeterProvider.builder()
                    .setResource(resource)
                    .registerMetricReader(prometheus)
                    .registerMetricReader(metrics)
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    this.telemetry = Telemetry.of("uat-router", sdk, prometheus);
  }

  Telemetry telemetry() {
    return telemetry;
  }

  List<SpanData> spans() {
    return spans.getFinishedSpanItems();
  }

  /** Every metric with its points, cumulative since the start. */
  Collection<MetricData> metrics() {
    return metrics.collectAllMetrics();
  }

  MetricData metric(String name) {
    return metrics().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name));
  }

  @Override
  public void close() {
    telemetry.close();
  }
}
