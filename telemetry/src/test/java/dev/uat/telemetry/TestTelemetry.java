package dev.uat.telemetry;

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
import io.opentelemetry.semconv.ServiceAttributes;
import java.util.Collection;
import java.util.List;

/**
 * A {@link Telemetry} for tests: spans kept in memory (exported synchronously as they end), metrics
 * readable through {@code /metrics} and as data ({@link #metrics()}).
 */
public final class TestTelemetry implements AutoCloseable {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final Telemetry telemetry;

  public TestTelemetry(String serviceName) {
    PrometheusMetricReader reader =
        PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
    Resource resource =
        Resource.getDefault()
            .merge(Resource.builder().put(ServiceAttributes.SERVICE_NAME, serviceName).build());
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .setResource(resource)
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .setMeterProvider(
                SdkMeterProvider.builder()
                    .setResource(resource)
                    .registerMetricReader(reader)
                    .registerMetricReader(metrics)
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    this.telemetry = Telemetry.of(serviceName, sdk, reader);
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  /** Every span ended so far, in the order they ended. */
  public List<SpanData> spans() {
    return exporter.getFinishedSpanItems();
  }

  /** Every metric with its points, cumulative since the start (names, units, buckets, values). */
  public Collection<MetricData> metrics() {
    return metrics.collectAllMetrics();
  }

  /** The metric named {@code name}; an {@link AssertionError} when there is none. */
  public MetricData metric(String name) {
    return metrics().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name));
  }

  public void reset() {
    exporter.reset();
  }

  @Override
  public void close() {
    telemetry.close();
  }
}
