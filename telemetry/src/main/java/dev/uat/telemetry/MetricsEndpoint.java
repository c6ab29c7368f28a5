package dev.uat.telemetry;

import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a component's metrics in the Prometheus text format, or in OpenMetrics (with trace-id
 * exemplars on the latency histograms) when the scraper asks for it in {@code Accept}.
 */
public final class MetricsEndpoint {
  private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();
  private static final OpenMetricsTextFormatWriter OPEN_METRICS =
      OpenMetricsTextFormatWriter.builder().setCreatedTimestampsEnabled(false).build();

  private final PrometheusMetricReader reader;

  public MetricsEndpoint(Telemetry telemetry) {
    this.reader = telemetry.metricReader();
  }

  /** The content type {@link #write} will produce for this {@code Accept} header. */
  public String contentType(String accept) {
    return openMetrics(accept) ? OPEN_METRICS.getContentType() : TEXT.getContentType();
  }

  public void write(String accept, OutputStream out) throws IOException {
    MetricSnapshots snapshots = reader == null ? MetricSnapshots.of() : reader.collect();
    if (openMetrics(accept)) {
      OPEN_METRICS.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    } else {
      TEXT.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    }
  }

  private static boolean openMetrics(String accept) {
    return accept != null && accept.contains("application/openmetrics-text");
  }
}
