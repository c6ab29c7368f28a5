package dev.uat.observatory.otlp;

import static dev.uat.observatory.otlp.ProtoWriter.id;
import static dev.uat.observatory.otlp.ProtoWriter.request;
import static dev.uat.observatory.otlp.ProtoWriter.span;
import static dev.uat.observatory.testing.Gzip.gzip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.ingest.Bodies;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import dev.uat.web.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The OTLP/gRPC receiver through the OpenTelemetry SDK's own gRPC exporter ({@link
 * OtlpGrpcSpanExporter} on its OkHttp sender), and through raw HTTP/2 calls for what an exporter
 * never sends.
 */
@Timeout(60)
class OtlpGrpcReceiverTest {
  private static final long IN_FLIGHT = 16L * 1024 * 1024;
  private static final MediaType GRPC = MediaType.get("application/grpc");

  private final HttpClient http = HttpClient.newHttpClient();
  private final OkHttpClient h2c =
      new OkHttpClient.Builder()
          .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE))
          .readTimeout(Duration.ofSeconds(30))
          .build();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = observatory(IN_FLIGHT);
    observatory = fixture.observatory();
  }

  private static TestObservatory observatory(long inFlightBytes) {
    return TestObservatory.start(
        TestObservatory.settings(16L * 1024 * 1024).maxInFlightBytes(inFlightBytes).build());
  }

  @AfterEach
  void stop() {
    fixture.close();
    h2c.dispatcher().executorService().shutdown();
    h2c.connectionPool().evictAll();
  }

  private OtlpGrpcSpanExporter exporter(String compression) {
    return OtlpGrpcSpanExporter.builder()
        .setEndpoint(observatory.otlpGrpcUrl())
        .setCompression(compression)
        .setRetryPolicy(null)
        .setTimeout(Duration.ofSeconds(20))
        .build();
  }

  private static SpanData sdkSpan(String traceId, String spanId, String name, String attribute) {
    return TestSpanData.builder()
        .setSpanContext(
            SpanContext.create(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault()))
        .setName(name)
        .setKind(SpanKind.SERVER)
        .setStartEpochNanos(1_700_000_000_000_000_000L)
        .setEndEpochNanos(1_700_000_000_250_000_000L)
        .setHasEnded(true)
        .setStatus(StatusData.ok())
        .setAttributes(Attributes.of(AttributeKey.stringKey("payload"), attribute))
        .setTotalAttributeCount(1)
        .setResource(
            Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "uat-grpc")))
        .setInstrumentationScopeInfo(InstrumentationScopeInfo.create("test"))
        .build();
  }

  private static CompletableResultCode export(OtlpGrpcSpanExporter exporter, SpanData... spans) {
    CompletableResultCode result = exporter.export(List.of(spans));
    result.join(30, TimeUnit.SECONDS);
    return result;
  }

  private static GrpcStatusCode failure(CompletableResultCode result) {
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.getFailureThrowable())
        .isInstanceOf(FailedExportException.GrpcExportException.class);
    FailedExportException.GrpcExportException e =
        (FailedExportException.GrpcExportException) result.getFailureThrowable();
    assertThat(e.failedWithResponse()).as("answered with a gRPC status").isTrue();
    return e.getResponse().getStatusCode();
  }

  private JsonNode jaegerTrace(String traceId) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/api/traces/" + traceId))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return Json.MAPPER.readTree(response.body()).get("data").get(0);
  }

  /** The sum of a metric's series whose labels contain {@code labels} (0 when absent). */
  private double metric(String name, String labels) {
    return fixture.metric(name, labels);
  }

  /** A raw unary call; the status from the headers (trailers-only) or the trailers. */
  private record Call(
      int httpStatus, String grpcStatus, String grpcMessage, Headers headers, byte[] body) {}

  private Call call(String path, String encoding, RequestBody body) throws IOException {
    Request.Builder request =
        new Request.Builder()
            .url(observatory.otlpGrpcUrl() + path)
            .header("te", "trailers")
            .post(body);
    if (encoding != null) {
      request.header("grpc-encoding", encoding);
    }
    try (Response response = h2c.newCall(request.build()).execute()) {
      byte[] bytes = response.body().bytes();
      Headers headers = response.headers();
      String status = headers.get("grpc-status");
      String message = headers.get("grpc-message");
      if (status == null) {
        Headers trailers = response.trailers();
        status = trailers.get("grpc-status");
        message = trailers.get("grpc-message");
      }
      return new Call(response.code(), status, message, headers, bytes);
    }
  }

  private Call export(byte[] message, boolean compressed) throws IOException {
    return call(
        OtlpGrpcReceiver.EXPORT_PATH,
        compressed ? "gzip" : null,
        RequestBody.create(framed(message, compressed), GRPC));
  }

  private static byte[] framed(byte[] message, boolean compressed) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) (compressed ? 1 : 0))
        .putInt(message.length)
        .put(message)
        .array();
  }

  @Test
  void spansExportedByTheSdkOverGrpcAreStoredAndQueryable() throws Exception {
    String plain = "4bf92f3577b34da6a3ce929d0e0e4736";
    String gzipped = "5bf92f3577b34da6a3ce929d0e0e4736";
    try (OtlpGrpcSpanExporter none = exporter("none");
        OtlpGrpcSpanExporter gzip = exporter("gzip")) {
      assertThat(export(none, sdkSpan(plain, "00f067aa0ba902b7", "GET /plain", "a")).isSuccess())
          .isTrue();
      assertThat(export(gzip, sdkSpan(gzipped, "00f067aa0ba902b8", "GET /gzip", "b")).isSuccess())
          .isTrue();
    }

    for (String[] expected :
        new String[][] {{plain, "GET /plain", "a"}, {gzipped, "GET /gzip", "b"}}) {
      JsonNode trace = jaegerTrace(expected[0]);
      JsonNode span = trace.get("spans").get(0);
      assertThat(span.get("operationName").asText()).isEqualTo(expected[1]);
      assertThat(span.get("duration").asLong()).isEqualTo(250_000);
      assertThat(trace.get("processes").get("p1").get("serviceName").asText())
          .isEqualTo("uat-grpc");
      assertThat(span.get("tags").toString()).contains("\"payload\"", "\"" + expected[2] + "\"");
    }
    assertThat(metric("uat_observatory_spans_received_total", "receiver=\"otlp_grpc\""))
        .isEqualTo(2);
  }

  @Test
  void anOversizedMessageGetsResourceExhaustedAndTheReceiverKeepsServing() throws Exception {
    String big = "x".repeat((int) Bodies.MAX_BODY_BYTES + 1024);
    try (OtlpGrpcSpanExporter exporter = exporter("none")) {
      CompletableResultCode refused =
          export(
              exporter,
              sdkSpan("6bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "big", big));
      assertThat(failure(refused)).isEqualTo(GrpcStatusCode.RESOURCE_EXHAUSTED);

      assertThat(
              export(
                      exporter,
                      sdkSpan("7bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "small", "s"))
                  .isSuccess())
          .isTrue();
    }
    assertThat(observatory.store().trace("6bf92f3577b34da6a3ce929d0e0e4736")).isEmpty();
    assertThat(observatory.store().trace("7bf92f3577b34da6a3ce929d0e0e4736")).isPresent();
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"body_too_large\""))
        .isEqualTo(1);
  }

  @Test
  void aMessageInflatingBeyondTheCapGetsResourceExhausted() throws Exception {
    byte[] bomb = gzip(new byte[(int) Bodies.MAX_DECOMPRESSED_BYTES + 1]);

    Call call = export(bomb, true);

    assertThat(call.httpStatus()).isEqualTo(200);
    assertThat(call.grpcStatus()).isEqualTo("8");
    assertThat(call.headers().get("grpc-status-details-bin")).as("not retryable").isNull();
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"decompressed_too_large\""))
        .isEqualTo(1);
  }

  @Test
  void aDeclaredLengthAboveTheCapIsRefusedBeforeTheMessageIsRead() throws Exception {
    // the prefix claims 4 GiB - 1; only 10 bytes follow
    byte[] lie = ByteBuffer.allocate(15).put((byte) 0).putInt(-1).array();

    Call call = call(OtlpGrpcReceiver.EXPORT_PATH, null, RequestBody.create(lie, GRPC));

    assertThat(call.grpcStatus()).isEqualTo("8");
    assertThat(call.grpcMessage()).contains("4294967295 bytes is larger than 4194304");
    assertThat(observatory.pendingDerivedSpans()).isZero();
  }

  @Test
  void garbageGetsInvalidArgumentAndTheReceiverKeepsServing() throws Exception {
    Call garbage = export(new byte[] {0x0A, 0x05, 0x01}, false);
    assertThat(garbage.httpStatus()).isEqualTo(200);
    assertThat(garbage.headers().get("content-type")).isEqualTo("application/grpc");
    assertThat(garbage.grpcStatus()).isEqualTo("3");
    assertThat(garbage.grpcMessage()).contains("not an OTLP ExportTraceServiceRequest");

    assertThat(export(new byte[] {1, 2, 3}, true).grpcStatus()).as("bad gzip").isEqualTo("3");
    assertThat(
            call(OtlpGrpcReceiver.EXPORT_PATH, null, RequestBody.create(new byte[] {0, 0}, GRPC))
                .grpcStatus())
        .as("a truncated prefix")
        .isEqualTo("3");
    byte[] one = framed(request("uat-api", span(id(1, 2), id(3), "a")), false);
    byte[] two = ByteBuffer.allocate(2 * one.length).put(one).put(one).array();
    assertThat(call(OtlpGrpcReceiver.EXPORT_PATH, null, RequestBody.create(two, GRPC)).grpcStatus())
        .as("two messages in a unary call")
        .isEqualTo("3");

    try (OtlpGrpcSpanExporter exporter = exporter("gzip")) {
      assertThat(
              export(
                      exporter,
                      sdkSpan("8bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "after", "s"))
                  .isSuccess())
          .isTrue();
    }
    assertThat(observatory.store().trace("8bf92f3577b34da6a3ce929d0e0e4736")).isPresent();
  }

  @Test
  void partialSuccessIsReportedAsOverHttp() throws Exception {
    byte[] trace = id(0x5b8efff798038103L, 0xd269b633813fc60cL);
    byte[] body =
        request("uat-api", span(trace, id(1), "good"), span(new byte[] {1, 2, 3}, id(2), "bad"));

    Call call = export(gzip(body), true);

    assertThat(call.grpcStatus()).isEqualTo("0");
    ByteBuffer message = ByteBuffer.wrap(call.body());
    assertThat(message.get()).as("not compressed").isEqualTo((byte) 0);
    byte[] response = new byte[message.getInt()];
    message.get(response);
    assertThat(response)
        .isEqualTo(
            OtlpHttpReceiver.partialSuccess(
                1, "1 span rejected; the first because trace_id has 3 bytes instead of 16"));
    assertThat(observatory.store().trace("5b8efff798038103d269b633813fc60c").orElseThrow().spans())
        .extracting(s -> s.name())
        .containsExactly("good");
    assertThat(metric("uat_observatory_spans_rejected_total", "receiver=\"otlp_grpc\""))
        .isEqualTo(1);
  }

  @Test
  void otherMethodsAreUnimplementedAndOtherContentTypesUnsupported() throws Exception {
    Call metrics =
        call(
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            null,
            RequestBody.create(framed(new byte[0], false), GRPC));
    assertThat(metrics.httpStatus()).isEqualTo(200);
    assertThat(metrics.grpcStatus()).isEqualTo("12");
    assertThat(metrics.grpcMessage()).contains("TraceService/Export");

    Call encoding =
        call(
            OtlpGrpcReceiver.EXPORT_PATH,
            "snappy",
            RequestBody.create(framed(new byte[0], true), GRPC));
    assertThat(encoding.grpcStatus()).isEqualTo("12");
    assertThat(encoding.headers().get("grpc-accept-encoding")).contains("gzip");

    Call json =
        call(
            OtlpGrpcReceiver.EXPORT_PATH,
            null,
            RequestBody.create(
                "{}".getBytes(StandardCharsets.UTF_8), MediaType.get("application/json")));
    assertThat(json.httpStatus()).isEqualTo(415);
    assertThat(json.grpcStatus()).isNull();

    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"media_type\""))
        .isEqualTo(1);
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"content_encoding\""))
        .isEqualTo(1);
  }

  @Test
  void headersAboveTheCapAreRefusedAndTheConnectionKeepsServing() throws Exception {
    Request request =
        new Request.Builder()
            .url(observatory.otlpGrpcUrl() + OtlpGrpcReceiver.EXPORT_PATH)
            .header("x-padding", "p".repeat(OtlpGrpcReceiver.HEADER_BYTES))
            .post(RequestBody.create(framed(new byte[0], false), GRPC))
            .build();
    // Jetty refuses the stream (REFUSED_STREAM) without reading further; okhttp reports that as
    // the reset itself, or as "closed" when the reset arrives while it is still writing the body
    try (Response response = h2c.newCall(request).execute()) {
      assertThat(response.header("grpc-status")).as("no answer but a refusal").isNull();
    } catch (IOException e) {
      assertThat(e.getMessage()).containsAnyOf("REFUSED_STREAM", "closed");
    }

    assertThat(export(new byte[0], false).grpcStatus()).isEqualTo("0");
  }

  @Test
  void aClosedPipelineAnswersUnavailable() throws Exception {
    try (InMemoryStorage storage = new InMemoryStorage(1 << 20);
        Pipeline pipeline =
            new Pipeline(
                storage, List.of(), fixture.own().telemetry().meter(), IN_FLIGHT, 1 << 20);
        OtlpGrpcReceiver receiver =
            OtlpGrpcReceiver.start(pipeline, fixture.own().telemetry().meter(), "127.0.0.1", 0)) {
      pipeline.close();
      Request request =
          new Request.Builder()
              .url("http://127.0.0.1:" + receiver.port() + OtlpGrpcReceiver.EXPORT_PATH)
              .post(
                  RequestBody.create(
                      framed(request("uat-api", span(id(1, 2), id(3), "a")), false), GRPC))
              .build();
      try (Response response = h2c.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.header("grpc-status")).isEqualTo("14");
        assertThat(response.header("grpc-message")).contains("shutting down");
      }
    }
  }

  @Test
  void anHttp11ClientGetsNoAnswer() {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(observatory.otlpGrpcUrl() + OtlpGrpcReceiver.EXPORT_PATH))
            .version(HttpClient.Version.HTTP_1_1)
            .header("Content-Type", "application/grpc")
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5]))
            .build();

    assertThat(
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, error) -> error != null)
                .join())
        .as("the connection is closed without an HTTP/1.1 answer")
        .isTrue();
  }

  @Test
  void aBusyBudgetGetsRetryableResourceExhaustedWithRetryInfo() throws Exception {
    // a budget of 6 MiB: one call holds almost 4 MiB while the next needs 3
    fixture.close();
    fixture = observatory(6L * 1024 * 1024);
    observatory = fixture.observatory();
    int held = 4 * 1024 * 1024 - 64;
    CountDownLatch release = new CountDownLatch(1);
    RequestBody slow =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return GRPC;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeByte(0).writeInt(held).write(new byte[1024]);
            sink.flush();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            sink.write(new byte[held - 1024]);
          }
        };
    CompletableFuture<Call> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return call(OtlpGrpcReceiver.EXPORT_PATH, null, slow);
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> metric("uat_observatory_ingest_in_flight_bytes", "") >= held);

      Call busy = export(new byte[3 * 1024 * 1024], false);

      assertThat(busy.grpcStatus()).isEqualTo("8");
      String details = busy.headers().get("grpc-status-details-bin");
      assertThat(details).as("RetryInfo makes it retryable").isNotNull();
      assertThat(retryDelaySeconds(Base64.getDecoder().decode(details))).isEqualTo(1);
      assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"busy\"")).isEqualTo(1);
    } finally {
      release.countDown();
    }
    assertThat(first.get(30, TimeUnit.SECONDS).grpcStatus())
        .as("the held message, zeros, is not a request")
        .isEqualTo("3");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> metric("uat_observatory_ingest_in_flight_bytes", "") == 0);
  }

  @Test
  void aComponentsTelemetryExportsOverGrpcWhenTheProtocolSaysSo() throws Exception {
    // OTEL_EXPORTER_OTLP_PROTOCOL=grpc, as a system property: the same key for autoconfigure
    String previous = System.setProperty("otel.exporter.otlp.protocol", "grpc");
    String traceId;
    try {
      traceId = exportOneSpan("GET /over-grpc");
    } finally {
      if (previous == null) {
        System.clearProperty("otel.exporter.otlp.protocol");
      } else {
        System.setProperty("otel.exporter.otlp.protocol", previous);
      }
    }

    assertThat(observatory.store().trace(traceId).orElseThrow().spans())
        .extracting(s -> s.name())
        .containsExactly("GET /over-grpc");
    assertReceivedBy("otlp_grpc", "otlp_http");
  }

  @Test
  void withoutTheGrpcProtocolAComponentStillExportsOverHttp() throws Exception {
    exportOneSpan("GET /over-http");

    assertReceivedBy("otlp_http", "otlp_grpc");
  }

  /** Exports one span through a component's {@link Telemetry}; returns its trace id once stored. */
  private String exportOneSpan(String name) {
    String traceId;
    try (Telemetry telemetry =
        Telemetry.create(
            new TelemetrySettings(
                "uat-api", observatory.otlpUrl(), true, true, observatory.otlpGrpcUrl()))) {
      io.opentelemetry.api.trace.Span span = telemetry.tracer().spanBuilder(name).startSpan();
      traceId = span.getSpanContext().getTraceId();
      span.end();
      telemetry.flush(10_000);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> observatory.store().trace(traceId).isPresent());
    return traceId;
  }

  private void assertReceivedBy(String receiver, String notReceiver) {
    assertThat(metric("uat_observatory_spans_received_total", "receiver=\"" + receiver + "\""))
        .isEqualTo(1);
    assertThat(metric("uat_observatory_spans_received_total", "receiver=\"" + notReceiver + "\""))
        .isZero();
  }

  /** google.rpc.Status -> details[0] (Any of RetryInfo) -> retry_delay -> seconds. */
  private static long retryDelaySeconds(byte[] status) {
    ProtoReader in = new ProtoReader(status);
    long seconds = -1;
    while (in.hasMore()) {
      int tag = in.readTag();
      if (tag != (3 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED)) {
        in.skip(tag);
        continue;
      }
      int any = in.enter();
      while (in.hasMore()) {
        int anyTag = in.readTag();
        if (anyTag == (1 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED)) {
          assertThat(in.readString()).isEqualTo("type.googleapis.com/google.rpc.RetryInfo");
        } else if (anyTag == (2 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED)) {
          int info = in.enter();
          assertThat(in.readTag()).isEqualTo(1 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED);
          int duration = in.enter();
          assertThat(in.readTag()).isEqualTo(1 << 3 | ProtoReader.WIRETYPE_VARINT);
          seconds = in.readVarint();
          in.exit(duration);
          in.exit(info);
        } else {
          in.skip(anyTag);
        }
      }
      in.exit(any);
    }
    return seconds;
  }
}
