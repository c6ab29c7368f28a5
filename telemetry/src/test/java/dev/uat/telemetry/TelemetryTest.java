package dev.uat.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class TelemetryTest {
  @AfterEach
  void clearProperties() {
    System.clearProperty("otel.service.name");
    System.clearProperty("otel.sdk.disabled");
    System.clearProperty("otel.traces.sampler");
    System.clearProperty("otel.exporter.otlp.traces.endpoint");
    System.clearProperty("otel.exporter.otlp.protocol");
  }

  private static TelemetrySettings settings(boolean allInOne) {
    return new TelemetrySettings("uat-api", "http://127.0.0.1:1", allInOne, true);
  }

  @Test
  void serviceNameFromTheEnvironmentRenamesAComponentStartedAlone() {
    System.setProperty("otel.service.name", "billing-api");
    try (Telemetry t = Telemetry.create(settings(false))) {
      assertThat(t.serviceName()).isEqualTo("billing-api");
    }
  }

  @Test
  void allInOneComponentsKeepTheirOwnNames() {
    System.setProperty("otel.service.name", "billing-api");
    try (Telemetry t = Telemetry.create(settings(true))) {
      assertThat(t.serviceName()).isEqualTo("uat-api");
    }
  }

  @Test
  void samplerComesFromTheEnvironment() {
    System.setProperty("otel.traces.sampler", "always_off");
    try (Telemetry t = Telemetry.create(settings(false))) {
      Span span = t.tracer().spanBuilder("x").startSpan();
      assertThat(span.getSpanContext().isValid()).isTrue(); // ids still flow for X-Trace-Id
      assertThat(span.isRecording()).isFalse();
      span.end();
    }
    System.clearProperty("otel.traces.sampler");
    try (Telemetry t = Telemetry.create(settings(false))) {
      Span span = t.tracer().spanBuilder("x").startSpan();
      assertThat(span.isRecording()).as("default: parent-based always-on").isTrue();
      span.end();
    }
  }

  @Test
  void spansMeantForTheDefaultEndpointGoToTheLocalExporter() {
    InMemorySpanExporter local = InMemorySpanExporter.create();
    try (Telemetry t = Telemetry.create(settings(true), local)) {
      t.tracer().spanBuilder("chat").startSpan().end();
      t.flush(5_000);
      assertThat(local.getFinishedSpanItems())
          .extracting(SpanData::getName)
          .containsExactly("chat");
    }
  }

  @Test
  void anEndpointOrProtocolFromTheEnvironmentWinsOverTheLocalExporter() {
    System.setProperty("otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:1/v1/traces");
    InMemorySpanExporter local = InMemorySpanExporter.create();
    try (Telemetry t = Telemetry.create(settings(true), local)) {
      t.tracer().spanBuilder("chat").startSpan().end();
      t.flush(100);
    }
    assertThat(local.getFinishedSpanItems()).isEmpty();

    System.clearProperty("otel.exporter.otlp.traces.endpoint");
    System.setProperty("otel.exporter.otlp.protocol", "grpc");
    try (Telemetry t = Telemetry.create(settings(true), local)) {
      t.tracer().spanBuilder("chat").startSpan().end();
      t.flush(100);
    }
    assertThat(local.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void observatoryTelemetryNeverRecordsSpans() {
    System.setProperty("otel.traces.sampler", "always_on");
    try (Telemetry t =
        Telemetry.create(
            new TelemetrySettings("uat-observatory", "http://127.0.0.1:1", true, false))) {
      Span span = t.tracer().spanBuilder("ingest").startSpan();
      assertThat(span.isRecording()).isFalse();
      span.end();
    }
  }

  @Test
  void disabledSdkStillServesAnEmptyMetricsPage() throws Exception {
    System.setProperty("otel.sdk.disabled", "true");
    try (Telemetry t = Telemetry.create(settings(false))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new MetricsEndpoint(t).write(null, out);
      assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("http_server");
    }
  }

  @Test
  void logLinesCarryTheTraceAndSpanIds() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(context);
    captured.start();
    OpenTelemetryAppender correlating = new OpenTelemetryAppender();
    correlating.setContext(context);
    correlating.addAppender(captured);
    correlating.start();
    Logger logger = context.getLogger("correlation-test");
    logger.setAdditive(false);
    logger.addAppender(correlating);
    try (TestTelemetry otel = new TestTelemetry("uat-test")) {
      Span span = otel.telemetry().tracer().spanBuilder("work").startSpan();
      try (Scope ignored = span.makeCurrent()) {
        logger.info("inside");
      } finally {
        span.end();
      }
      ILoggingEvent event = captured.list.getFirst();
      assertThat(event.getMDCPropertyMap())
          .containsEntry("trace_id", span.getSpanContext().getTraceId())
          .containsEntry("span_id", span.getSpanContext().getSpanId());
    } finally {
      logger.detachAppender(correlating);
    }
  }
}
