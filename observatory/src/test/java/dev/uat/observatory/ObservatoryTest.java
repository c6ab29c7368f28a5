package dev.uat.observatory;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longArrayKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.ingest.Pipeline;
import dev.uat.observatory.testing.JaegerShape;
import dev.uat.web.Json;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The observatory end to end: the OpenTelemetry SDK exports to it, the Jaeger API reads back. */
@Timeout(60)
class ObservatoryTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<SdkTracerProvider> providers = new ArrayList<>();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = TestObservatory.start(16L * 1024 * 1024);
    observatory = fixture.observatory();
  }

  @AfterEach
  void stop() {
    providers.forEach(SdkTracerProvider::close);
    fixture.close();
  }

  /** An SDK exporting to the observatory over OTLP/HTTP protobuf and to {@code copy}. */
  private Tracer tracer(String service, String compression, InMemorySpanExporter copy) {
    OtlpHttpSpanExporter exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(observatory.otlpUrl() + "/v1/traces")
            .setCompression(compression)
            .setTimeout(Duration.ofSeconds(10))
            .build();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                stringKey("service.name"),
                                service,
                                stringKey("deployment.environment.name"),
                                "test"))))
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .addSpanProcessor(SimpleSpanProcessor.create(copy))
            .build();
    providers.add(provider);
    return provider.tracerBuilder("dev.uat.test").setInstrumentationVersion("1.2.3").build();
  }

  private JsonNode get(String path, int expectedStatus) throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create(observatory.queryUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).as(path).isEqualTo(expectedStatus);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    return Json.MAPPER.readTree(response.body());
  }

  @Test
  @SuppressWarnings("try") // the scope is only made current
  void traceExportedByTheOpenTelemetrySdkIsServedInTheJaegerShape() throws Exception {
    InMemorySpanExporter copy = InMemorySpanExporter.create();
    Tracer tracer = tracer("uat-api", "none", copy);
    SpanContext linked =
        SpanContext.create(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            TraceFlags.getSampled(),
            TraceState.getDefault());

    Span server =
        tracer
            .spanBuilder("POST /api/chat")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", "POST")
            .setAttribute(longKey("http.response.status_code"), 500L)
            .setAttribute(doubleKey("sample.ratio"), 0.25)
            .setAttribute(booleanKey("user.admin"), true)
            .setAttribute(stringArrayKey("gen_ai.response.finish_reasons"), List.of("stop", "len"))
            .setAttribute(longArrayKey("token.counts"), List.of(1L, 2L))
            .startSpan();
    try (Scope ignored = server.makeCurrent()) {
      Span call =
          tracer
              .spanBuilder("chat llama3")
              .setSpanKind(SpanKind.CLIENT)
              .addLink(linked)
              .startSpan();
      call.addEvent("gen_ai.choice", Attributes.of(stringKey("finish_reason"), "stop"));
      call.setStatus(StatusCode.ERROR, "provider timed out");
      call.end();
    }
    server.end();
    String traceId = server.getSpanContext().getTraceId();
    String serverId = server.getSpanContext().getSpanId();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> observatory.store().trace(traceId).map(t -> t.spans().size()).orElse(0) == 2);
    JsonNode body = get("/api/traces/" + traceId, 200);

    assertThat(JaegerShape.fields(body))
        .containsExactly("data", "total", "limit", "offset", "errors");
    assertThat(body.get("total").asInt()).isZero();
    assertThat(body.get("errors").isNull()).isTrue();
    assertThat(body.get("data")).hasSize(1);
    JsonNode trace = body.get("data").get(0);
    assertThat(JaegerShape.fields(trace))
        .containsExactly("traceID", "spans", "processes", "warnings");
    assertThat(trace.get("traceID").asText()).isEqualTo(traceId);
    assertThat(trace.get("warnings").isNull()).isTrue();

    JsonNode process = trace.get("processes").get("p1");
    assertThat(JaegerShape.fields(trace.get("processes"))).containsExactly("p1");
    assertThat(process.get("serviceName").asText()).isEqualTo("uat-api");
    Map<String, JsonNode> processTags = tags(process.get("tags"));
    assertThat(processTags).doesNotContainKey("service.name");
    assertThat(processTags.get("deployment.environment.name")).isEqualTo(tag("string", "test"));
    assertThat(processTags.get("telemetry.sdk.language")).isEqualTo(tag("string", "java"));

    Map<String, SpanData> sent = new LinkedHashMap<>();
    copy.getFinishedSpanItems().forEach(s -> sent.put(s.getName(), s));
    JsonNode serverSpan = spanNamed(trace, "POST /api/chat");
    JsonNode clientSpan = spanNamed(trace, "chat llama3");
    assertThat(trace.get("spans").get(0)).as("ordered by start").isEqualTo(serverSpan);

    assertThat(JaegerShape.fields(serverSpan)).containsExactlyElementsOf(JaegerShape.SPAN_FIELDS);
    SpanData serverData = sent.get("POST /api/chat");
    assertThat(serverSpan.get("traceID").asText()).isEqualTo(traceId);
    assertThat(serverSpan.get("spanID").asText()).isEqualTo(serverId);
    assertThat(serverSpan.get("flags").asInt()).isEqualTo(1);
    assertThat(serverSpan.get("references")).isEmpty();
    assertThat(serverSpan.get("startTime").asLong())
        .isEqualTo(serverData.getStartEpochNanos() / 1000);
    assertThat(serverSpan.get("duration").asLong())
        .isEqualTo((serverData.getEndEpochNanos() - serverData.getStartEpochNanos()) / 1000);
    assertThat(serverSpan.get("processID").asText()).isEqualTo("p1");
    assertThat(serverSpan.get("warnings").isNull()).isTrue();
    assertThat(serverSpan.get("logs")).isEmpty();
    assertThat(tags(serverSpan.get("tags")))
        .containsOnly(
            Map.entry("otel.scope.name", tag("string", "dev.uat.test")),
            Map.entry("otel.scope.version", tag("string", "1.2.3")),
            Map.entry("http.request.method", tag("string", "POST")),
            Map.entry("http.response.status_code", tag("int64", 500)),
            Map.entry("sample.ratio", tag("float64", 0.25)),
            Map.entry("user.admin", tag("bool", true)),
            Map.entry("gen_ai.response.finish_reasons", tag("string", "[\"stop\",\"len\"]")),
            Map.entry("token.counts", tag("string", "[1,2]")),
            Map.entry("span.kind", tag("string", "server")));

    SpanData clientData = sent.get("chat llama3");
    assertThat(clientSpan.get("references"))
        .isEqualTo(
            tree(
                List.of(
                    Map.of("refType", "CHILD_OF", "traceID", traceId, "spanID", serverId),
                    Map.of(
                        "refType",
                        "FOLLOWS_FROM",
                        "traceID",
                        "0af7651916cd43dd8448eb211c80319c",
                        "spanID",
                        "b7ad6b7169203331"))));
    assertThat(clientSpan.get("tags"))
        .containsExactly(
            tagNode("otel.scope.name", "string", "dev.uat.test"),
            tagNode("otel.scope.version", "string", "1.2.3"),
            tagNode("span.kind", "string", "client"),
            tagNode("otel.status_code", "string", "ERROR"),
            tagNode("error", "bool", true),
            tagNode("otel.status_description", "string", "provider timed out"));
    assertThat(clientSpan.get("logs")).hasSize(1);
    JsonNode log = clientSpan.get("logs").get(0);
    assertThat(JaegerShape.fields(log)).containsExactly("timestamp", "fields");
    assertThat(log.get("timestamp").asLong())
        .isEqualTo(clientData.getEvents().getFirst().getEpochNanos() / 1000);
    assertThat(log.get("fields"))
        .containsExactly(
            tagNode("event", "string", "gen_ai.choice"),
            tagNode("finish_reason", "string", "stop"));
  }

  @Test
  void gzippedExportsFromTheSdkAreAccepted() throws Exception {
    Tracer tracer = tracer("uat-router", "gzip", InMemorySpanExporter.create());

    Span span = tracer.spanBuilder("compressed").startSpan();
    span.end();
    String traceId = span.getSpanContext().getTraceId();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> observatory.store().trace(traceId).isPresent());
    JsonNode trace = get("/api/traces/" + traceId, 200).get("data").get(0);
    assertThat(trace.get("spans").get(0).get("operationName").asText()).isEqualTo("compressed");
    assertThat(trace.get("processes").get("p1").get("serviceName").asText())
        .isEqualTo("uat-router");
  }

  @Test
  void servicesThatExportedAreListed() throws Exception {
    for (String service : List.of("uat-router", "uat-api")) {
      InMemorySpanExporter copy = InMemorySpanExporter.create();
      tracer(service, "none", copy).spanBuilder("op").startSpan().end();
    }
    providers.forEach(p -> p.forceFlush().join(10, TimeUnit.SECONDS));

    await().atMost(Duration.ofSeconds(20)).until(() -> observatory.store().services().size() == 2);
    JsonNode body = get("/api/services", 200);

    assertThat(JaegerShape.fields(body))
        .containsExactly("data", "total", "limit", "offset", "errors");
    assertThat(body.get("data")).isEqualTo(tree(List.of("uat-api", "uat-router")));
    assertThat(body.get("total").asInt()).isEqualTo(2);
  }

  @Test
  void unknownTraceIsA404InTheJaegerShape() throws Exception {
    JsonNode body = get("/api/traces/0af7651916cd43dd8448eb211c80319c", 404);

    assertThat(body)
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                {"data":null,"total":0,"limit":0,"offset":0,
                 "errors":[{"code":404,"msg":"trace not found"}]}
                """));
  }

  @Test
  void malformedTraceIdIsA400InTheJaegerShape() throws Exception {
    JsonNode body = get("/api/traces/not-a-trace-id", 400);

    assertThat(body.get("data").isNull()).isTrue();
    assertThat(body.get("errors").get(0).get("code").asInt()).isEqualTo(400);
    assertThat(body.get("errors").get(0).get("msg").asText()).contains("not-a-trace-id");
  }

  @Test
  void bothServersAnswerHealthChecks() throws Exception {
    for (String url : List.of(observatory.otlpUrl(), observatory.queryUrl())) {
      HttpResponse<String> ready =
          client.send(
              HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).as(url).isEqualTo(200);
      assertThat(ready.body()).contains("\"store\":\"ok\"");
    }
    assertThat(observatory.otlpPort()).isNotEqualTo(observatory.queryPort()).isPositive();
    assertThat(observatory.otlpUrl()).isEqualTo("http://127.0.0.1:" + observatory.otlpPort());
  }

  @Test
  void startFailsWhenAPortIsTaken() {
    ObservatorySettings clash =
        TestObservatory.settings(1024 * 1024).queryPort(observatory.queryPort()).build();

    assertThatThrownBy(() -> Observatory.start(clash, fixture.own().telemetry()).close())
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void defaultSettingsAreTheDocumentedPortsAndBudget() {
    ObservatorySettings defaults = ObservatorySettings.defaults();
    assertThat(defaults.host()).isEqualTo("127.0.0.1");
    assertThat(defaults.otlpPort()).isEqualTo(4318);
    assertThat(defaults.otlpGrpcPort()).isEqualTo(4317);
    assertThat(defaults.queryPort()).isEqualTo(16686);
    assertThat(defaults.zipkinPort()).isEqualTo(9411);
    assertThat(defaults.maxStoreBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(defaults.dataDir()).isNull();
    assertThat(defaults.persist()).isFalse();
    assertThat(defaults.token()).isNull();
    assertThat(defaults.alertmanagerUrl()).isNull();
    assertThat(defaults.allowedHosts()).isEmpty();
    assertThat(defaults.maxInFlightBytes()).isEqualTo(Pipeline.defaultInFlightBudget());
    assertThat(defaults.toBuilder().build()).isEqualTo(defaults);
  }

  // --- helpers ---

  private static JsonNode spanNamed(JsonNode trace, String name) {
    for (JsonNode span : trace.get("spans")) {
      if (span.get("operationName").asText().equals(name)) {
        return span;
      }
    }
    throw new AssertionError("no span " + name + " in " + trace);
  }

  /** Tags by key, each as {type, value}. */
  private static Map<String, JsonNode> tags(JsonNode tags) {
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    for (JsonNode tag : tags) {
      assertThat(JaegerShape.fields(tag)).containsExactly("key", "type", "value");
      byKey.put(
          tag.get("key").asText(),
          Json.MAPPER
              .createObjectNode()
              .setAll(Map.of("type", tag.get("type"), "value", tag.get("value"))));
    }
    return byKey;
  }

  private static JsonNode tree(Object value) {
    return Json.MAPPER.valueToTree(value);
  }

  private static JsonNode tag(String type, Object value) {
    return Json.MAPPER.valueToTree(Map.of("type", type, "value", value));
  }

  private static JsonNode tagNode(String key, String type, Object value) {
    Map<String, Object> tag = new LinkedHashMap<>();
    tag.put("key", key);
    tag.put("type", type);
    tag.put("value", value);
    return Json.MAPPER.valueToTree(tag);
  }
}
