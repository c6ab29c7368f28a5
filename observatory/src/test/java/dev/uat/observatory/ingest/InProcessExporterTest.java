package dev.uat.observatory.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.otlp.OtlpHttpReceiver;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The all-in-one's in-process hand-over: the SDK's spans become exactly the spans the OTLP/HTTP
 * receiver would have stored for the same spans, and the hand-over is bounded by the pipeline's
 * in-flight budget, dropping and counting what does not fit.
 */
@Timeout(30)
class InProcessExporterTest {
  private final TestTelemetry own = new TestTelemetry("uat-observatory");
  private final InMemoryStorage storage = new InMemoryStorage(64 << 20);
  private final InMemorySpanExporter recorded = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder()
          .setResource(
              Resource.create(
                  io.opentelemetry.api.common.Attributes.builder()
                      .put("service.name", "uat-test")
                      .put("host.name", "box")
                      .put("process.pid", 42L)
                      .build()))
          .setSpanLimits(
              SpanLimits.builder()
                  .setMaxNumberOfAttributes(12)
                  .setMaxNumberOfEvents(2)
                  .setMaxNumberOfLinks(2)
                  .setMaxNumberOfAttributesPerEvent(1)
                  .build())
          .addSpanProcessor(SimpleSpanProcessor.create(recorded))
          .build();
  private Pipeline pipeline;

  @AfterEach
  void close() {
    provider.close();
    if (pipeline != null) {
      pipeline.close();
    }
    own.close();
  }

  private Pipeline pipeline(long inFlightBytes) {
    pipeline =
        new Pipeline(
            storage,
            List.of(),
            own.telemetry().meter(),
            inFlightBytes,
            Pipeline.DEFAULT_QUEUE_BYTES);
    return pipeline;
  }

  @Test
  void everyFieldTheOtlpPathKeepsSurvivesTheInProcessHandOver() throws IOException {
    List<SpanData> spans = richSpans();
    InProcessExporter exporter = pipeline(16 << 20).newInProcessExporter();

    CompletableResultCode result = exporter.export(spans);

    assertThat(result.isSuccess()).isTrue();
    List<Span> inProcess = stored(spans);
    List<Span> viaOtlp = viaOtlpProtobuf(spans);
    assertThat(inProcess).hasSize(spans.size()).isEqualTo(viaOtlp);

    // and the spans are not trivially equal: each kind of field is there
    assertThat(inProcess)
        .extracting(Span::kind)
        .contains(
            SpanKind.INTERNAL,
            SpanKind.SERVER,
            SpanKind.CLIENT,
            SpanKind.PRODUCER,
            SpanKind.CONSUMER);
    Span rich = inProcess.stream().filter(s -> s.name().equals("rich")).findFirst().orElseThrow();
    assertThat(rich.statusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(rich.statusMessage()).isEqualTo("it broke");
    assertThat(rich.traceState()).isEqualTo("other=o2,vendor=v1"); // W3C: the newest entry first
    assertThat(rich.parentSpanId()).isNotZero();
    assertThat(rich.flags()).isEqualTo(0x301); // sampled, parent known to be remote
    assertThat(rich.attributes().get("s")).contains("text");
    assertThat(rich.attributes().get("b")).contains(true);
    assertThat(rich.attributes().get("l")).contains(7L);
    assertThat(rich.attributes().get("d")).contains(2.5);
    assertThat(rich.attributes().get("sa")).contains(List.of("a", "b"));
    assertThat(rich.attributes().get("ba")).contains(List.of(true, false));
    assertThat(rich.attributes().get("la")).contains(List.of(1L, 2L));
    assertThat(rich.attributes().get("da")).contains(List.of(1.5, 2.5));
    assertThat(rich.attributes().get("v.map"))
        .contains(Attributes.of("k", "v", "n", List.of(1L, "x")));
    assertThat(rich.attributes().get("v.bytes")).contains(Bytes.of(new byte[] {1, 2, 3}));
    assertThat(rich.droppedAttributesCount()).isEqualTo(2);
    assertThat(rich.events()).hasSize(2);
    assertThat(rich.events().get(1).name()).isEqualTo("exception");
    assertThat(rich.events().get(0).droppedAttributesCount()).isEqualTo(1);
    assertThat(rich.droppedEventsCount()).isEqualTo(1);
    assertThat(rich.links()).hasSize(2);
    assertThat(rich.links().get(0).attributes().get("link.why")).contains("batch");
    assertThat(rich.droppedLinksCount()).isEqualTo(1);
    assertThat(rich.serviceName()).isEqualTo("uat-test");
    assertThat(rich.resource().attributes().get("process.pid")).contains(42L);
    assertThat(rich.scope().name()).isEqualTo("dev.uat.test");
    assertThat(rich.scope().version()).isEqualTo("1.2.3");
    assertThat(sum("uat.observatory.spans.received", "uat.observatory.receiver", "in_process"))
        .isEqualTo(spans.size());
  }

  @Test
  void aBatchBeyondTheInFlightBudgetIsDroppedAndCounted() {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      spans.addAll(richSpans());
    }
    // the budget holds a few spans, not the batch
    InProcessExporter exporter = pipeline(8 * 1024).newInProcessExporter();

    CompletableResultCode result = exporter.export(spans);

    assertThat(result.isSuccess()).isFalse();
    assertThat(storage.stats().spans()).isZero();
    assertThat(sum("uat.observatory.in_process.dropped", "reason", "too_large"))
        .isEqualTo(spans.size());
    assertThat(pipeline.inFlightBytes()).isZero();

    // a batch that fits goes through once the budget allows it
    List<SpanData> small = richSpans().stream().filter(s -> s.getName().equals("bare")).toList();
    assertThat(exporter.export(small).isSuccess()).isTrue();
    assertThat(storage.stats().spans()).isEqualTo(1);
  }

  @Test
  void aBatchThatDoesNotFitBesideOtherSendersIsDroppedNotWaitedFor() {
    List<SpanData> spans = richSpans();
    InProcessExporter exporter = pipeline(1 << 20).newInProcessExporter();

    try (Pipeline.Permit other = pipeline.admit()) {
      other.reserve((1 << 20) - 64); // another sender holds nearly all of it
      CompletableResultCode result = exporter.export(spans);
      assertThat(result.isDone()).isTrue();
      assertThat(result.isSuccess()).isFalse();
    }

    assertThat(storage.stats().spans()).isZero();
    assertThat(sum("uat.observatory.in_process.dropped", "reason", "busy")).isEqualTo(spans.size());
    assertThat(exporter.export(spans).isSuccess()).isTrue();
    assertThat(storage.stats().spans()).isEqualTo(spans.size());
  }

  @Test
  void aShutDownExporterDropsWhatItIsGiven() {
    List<SpanData> spans = richSpans();
    InProcessExporter exporter = pipeline(1 << 20).newInProcessExporter();
    InProcessExporter other = pipeline.newInProcessExporter();

    exporter.shutdown().join(1, TimeUnit.SECONDS);

    assertThat(exporter.export(spans).isSuccess()).isFalse();
    assertThat(sum("uat.observatory.in_process.dropped", "reason", "closed"))
        .isEqualTo(spans.size());
    assertThat(other.export(spans).isSuccess()).isTrue(); // each SDK's exporter is its own
  }

  /** Spans of every kind; one with every attribute type, events, links, status and tracestate. */
  private List<SpanData> richSpans() {
    recorded.reset();
    Tracer tracer =
        provider.tracerBuilder("dev.uat.test").setInstrumentationVersion("1.2.3").build();
    SpanContext remoteParent =
        SpanContext.createFromRemoteParent(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            TraceFlags.getSampled(),
            TraceState.builder().put("vendor", "v1").put("other", "o2").build());
    io.opentelemetry.api.trace.Span span =
        tracer
            .spanBuilder("rich")
            .setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(remoteParent)))
            .setSpanKind(io.opentelemetry.api.trace.SpanKind.SERVER)
            .addLink(
                SpanContext.create(
                    "11111111111111111111111111111111",
                    "2222222222222222",
                    TraceFlags.getSampled(),
                    TraceState.getDefault()),
                io.opentelemetry.api.common.Attributes.of(
                    AttributeKey.stringKey("link.why"), "batch"))
            .addLink(
                SpanContext.createFromRemoteParent(
                    "33333333333333333333333333333333",
                    "4444444444444444",
                    TraceFlags.getDefault(),
                    TraceState.builder().put("k", "v").build()))
            .addLink(
                SpanContext.create(
                    "55555555555555555555555555555555",
                    "6666666666666666",
                    TraceFlags.getSampled(),
                    TraceState.getDefault()))
            .startSpan();
    span.setAttribute("s", "text");
    span.setAttribute("b", true);
    span.setAttribute("l", 7L);
    span.setAttribute("d", 2.5);
    span.setAttribute(AttributeKey.stringArrayKey("sa"), List.of("a", "b"));
    span.setAttribute(AttributeKey.booleanArrayKey("ba"), List.of(true, false));
    span.setAttribute(AttributeKey.longArrayKey("la"), List.of(1L, 2L));
    span.setAttribute(AttributeKey.doubleArrayKey("da"), List.of(1.5, 2.5));
    span.setAttribute(
        AttributeKey.valueKey("v.map"),
        Value.of(
            KeyValue.of("k", Value.of("v")),
            KeyValue.of("n", Value.of(Value.of(1L), Value.of("x")))));
    span.setAttribute(AttributeKey.valueKey("v.bytes"), Value.of(new byte[] {1, 2, 3}));
    span.setAttribute(AttributeKey.valueKey("v.empty"), Value.empty());
    span.setAttribute("unicode", "grüße ✓");
    span.setAttribute("over.1", "dropped by the limit");
    span.setAttribute("over.2", "dropped by the limit");
    span.addEvent(
        "started",
        io.opentelemetry.api.common.Attributes.of(
            AttributeKey.longKey("n"), 1L, AttributeKey.stringKey("m"), "two"));
    span.recordException(new IllegalStateException("boom"));
    span.addEvent("one too many");
    span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "it broke");
    span.end();
    for (io.opentelemetry.api.trace.SpanKind kind : io.opentelemetry.api.trace.SpanKind.values()) {
      tracer.spanBuilder("plain " + kind).setSpanKind(kind).startSpan().end();
    }
    Tracer bare = provider.get("bare"); // no version, no attributes
    bare.spanBuilder("bare").startSpan().end();
    return List.copyOf(recorded.getFinishedSpanItems());
  }

  private List<Span> stored(List<SpanData> spans) {
    List<Span> out = new ArrayList<>();
    for (String traceId : spans.stream().map(SpanData::getTraceId).distinct().sorted().toList()) {
      out.addAll(storage.trace(traceId).orElseThrow().spans());
    }
    out.sort(Comparator.comparingLong(Span::spanId));
    return out;
  }

  /** What the OTLP/HTTP receiver makes of the same spans, exported by the SDK's own marshaller. */
  private List<Span> viaOtlpProtobuf(List<SpanData> spans) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    TraceRequestMarshaler.create(spans).writeBinaryTo(body);
    OtlpHttpReceiver receiver = new OtlpHttpReceiver(pipeline, own.telemetry().meter());
    List<Span> decoded =
        new ArrayList<>(receiver.decodeStored(Format.OTLP_PROTOBUF, body.toByteArray()));
    decoded.sort(Comparator.comparingLong(Span::spanId));
    return decoded;
  }

  private long sum(String metric, String label, String value) {
    MetricData data = own.metric(metric);
    return data.getLongSumData().getPoints().stream()
        .filter(p -> value.equals(p.getAttributes().get(AttributeKey.stringKey(label))))
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
