package dev.uat.observatory.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.web.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Jaeger api_v3 over HTTP: shapes, and OTLP/JSON that reads back to the same trace. */
@Timeout(60)
class ApiV3Test {
  private final HttpClient client = HttpClient.newHttpClient();
  private TestObservatory firstFixture;
  private TestObservatory secondFixture;
  private Observatory first;
  private Observatory second;
  private List<Span> trace;

  @BeforeEach
  void start() throws Exception {
    firstFixture = TestObservatory.start(8 << 20);
    secondFixture = TestObservatory.start(8 << 20);
    first = firstFixture.observatory();
    second = secondFixture.observatory();
    long now = System.currentTimeMillis() * 1_000_000;
    trace = new ArrayList<>(new SyntheticTraces(3).chatTrace(now - 10_000_000_000L, 1));
    // every value type, events and links, in one span
    Span last = trace.removeLast();
    trace.add(
        Span.builder()
            .traceId(last.traceIdHigh(), last.traceIdLow())
            .spanId(last.spanId())
            .parentSpanId(last.parentSpanId())
            .name(last.name())
            .kind(last.kind())
            .startEpochNanos(last.startEpochNanos())
            .endEpochNanos(last.endEpochNanos())
            .attributes(
                Attributes.of(
                    "s",
                    "text",
                    "b",
                    true,
                    "i",
                    -42L,
                    "d",
                    0.5,
                    "bytes",
                    Bytes.of(new byte[] {1, 2, 3}),
                    "list",
                    List.of("a", 1L),
                    "map",
                    Attributes.of("k", "v")))
            .events(
                List.of(
                    new Event(
                        last.startEpochNanos() + 5,
                        "exception",
                        Attributes.of("exception.type", "X"),
                        1)))
            .links(List.of(new Link(1, 2, 3, "k=v", Attributes.of("l", 1L), 0, 1)))
            .traceState("vendor=1")
            .flags(1)
            .droppedCounts(1, 2, 3)
            .scope(last.scope())
            .resource(last.resource())
            .build());
    post(first, OtlpProtoEncoder.encode(trace), "application/x-protobuf");
  }

  @AfterEach
  void stop() {
    firstFixture.close();
    secondFixture.close();
  }

  private void post(Observatory to, byte[] body, String type) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(to.otlpUrl() + "/v1/traces"))
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isIn("", "{}");
  }

  private JsonNode get(Observatory from, String path, int status) throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create(from.queryUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).as(path).isEqualTo(status);
    return Json.MAPPER.readTree(response.body());
  }

  /** The query parameters of {@code service}'s traces that started in the last hour. */
  private static String lastHourOf(String service) {
    return "query.service_name="
        + service
        + "&query.start_time_min="
        + q(Instant.now().minusSeconds(3600).toString())
        + "&query.start_time_max="
        + q(Instant.now().toString());
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void servicesAndOperationsHaveTheGatewayShapes() throws Exception {
    assertThat(get(first, "/api/v3/services", 200))
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"services\":[\"uat-api\",\"uat-edge\",\"uat-realtime\",\"uat-router\"]}"));
    JsonNode operations = get(first, "/api/v3/operations?service=uat-router&span_kind=client", 200);
    assertThat(operations)
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"operations\":[{\"name\":\"chat llama3\",\"spanKind\":\"client\"}]}"));
  }

  @Test
  void aTraceReadBackAsOtlpJsonAndSentAgainIsTheSameTrace() throws Exception {
    String id = trace.getFirst().traceIdHex();
    JsonNode body = get(first, "/api/v3/traces/" + id, 200);

    JsonNode result = body.get("result");
    assertThat(result.get("resourceSpans")).hasSize(4);
    JsonNode someSpan =
        result.get("resourceSpans").get(0).get("scopeSpans").get(0).get("spans").get(0);
    assertThat(someSpan.get("traceId").asText()).isEqualTo(id);
    assertThat(someSpan.get("startTimeUnixNano").isTextual()).as("int64 as a string").isTrue();
    assertThat(someSpan.get("kind").isInt()).as("enums as integers").isTrue();

    post(second, Json.MAPPER.writeValueAsBytes(result), "application/json");
    await().atMost(Duration.ofSeconds(10)).until(() -> second.store().trace(id).isPresent());

    assertThat(second.store().trace(id).orElseThrow())
        .isEqualTo(first.store().trace(id).orElseThrow());
  }

  @Test
  void findTracesTakesRfc3339TimesAndAnswers404WhenNothingMatches() throws Exception {
    JsonNode found =
        get(
            first,
            "/api/v3/traces?"
                + lastHourOf("uat-router")
                + "&query.duration_min=1ms&query.num_traces=5",
            200);
    assertThat(found.get("result").get("resourceSpans")).hasSize(4);

    JsonNode none = get(first, "/api/v3/traces?" + lastHourOf("nobody"), 404);
    assertThat(none)
        .isEqualTo(
            Json.MAPPER.readTree("{\"error\":{\"httpCode\":404,\"message\":\"No traces found\"}}"));
    JsonNode bad = get(first, "/api/v3/traces?query.service_name=uat-api", 400);
    assertThat(bad.get("error").get("message").asText())
        .isEqualTo("query.start_time_min and query.start_time_max are required");
    assertThat(get(first, "/api/v3/traces/zz", 400).get("error").get("httpCode").asInt())
        .isEqualTo(400);
    assertThat(
            get(first, "/api/v3/traces/" + "1".repeat(32), 404)
                .get("error")
                .get("message")
                .asText())
        .isEqualTo("trace not found");
  }

  @Test
  void traceSummariesDescribeTracesWithoutSpans() throws Exception {
    JsonNode body = get(first, "/api/v3/trace-summaries?" + lastHourOf("uat-api"), 200);

    JsonNode summary = body.get("summaries").get(0);
    assertThat(summary.get("traceId").asText()).isEqualTo(trace.getFirst().traceIdHex());
    assertThat(summary.get("rootServiceName").asText()).isEqualTo("uat-edge");
    assertThat(summary.get("rootSpanName").asText()).isEqualTo("POST /api/*");
    assertThat(summary.get("spanCount").asInt()).isEqualTo(10);
    assertThat(summary.get("errorCount").asInt()).isPositive();
    assertThat(summary.get("services").get(0))
        .isEqualTo(Json.MAPPER.readTree("{\"name\":\"uat-edge\",\"spanCount\":1}"));
  }
}
