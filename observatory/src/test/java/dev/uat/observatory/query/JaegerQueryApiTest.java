package dev.uat.observatory.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.observatory.testing.JaegerShape;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import dev.uat.web.Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The OpenTelemetry-to-Jaeger mapping, on spans put straight into a store. */
@Timeout(30)
class JaegerQueryApiTest {
  private static final Resource API = Resource.of(Attributes.of("service.name", "uat-api"));
  private static final Resource ROUTER =
      Resource.of(Attributes.of("service.name", "uat-router", "host.name", "box"));

  private final HttpClient client = HttpClient.newHttpClient();
  private InMemoryStorage storage;
  private Service service;

  @BeforeEach
  void start() {
    storage = new InMemoryStorage(1 << 20);
    JaegerQueryApi api = new JaegerQueryApi(storage);
    service =
        Service.builder("observatory", Telemetry.noop("uat-observatory"))
            .port(0)
            .routes(api::register)
            .start();
  }

  @AfterEach
  void stop() {
    service.close();
    storage.close();
  }

  private JsonNode get(String path, int status) throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create(service.url() + path)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).as(path).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return Json.MAPPER.readTree(response.body());
  }

  private JsonNode trace(String id) throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create(service.url() + "/api/traces/" + id)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return Json.MAPPER.readTree(response.body()).get("data").get(0);
  }

  private static Span.Builder span(TraceId traceId, long spanId, Resource resource) {
    return Span.builder()
        .traceId(traceId)
        .spanId(spanId)
        .name("op" + spanId)
        .startEpochNanos(1_000_000L * spanId)
        .endEpochNanos(1_000_000L * spanId + 1_999)
        .resource(resource);
  }

  @Test
  void spansOfTwoServicesReferToTwoProcesses() throws Exception {
    TraceId id = new TraceId(1, 2);
    storage.accept(List.of(span(id, 1, API).build(), span(id, 2, ROUTER).parentSpanId(1).build()));

    JsonNode trace = trace(id.toHex());

    assertThat(trace.get("spans").get(0).get("processID").asText()).isEqualTo("p1");
    assertThat(trace.get("spans").get(1).get("processID").asText()).isEqualTo("p2");
    assertThat(trace.get("processes"))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                {"p1":{"serviceName":"uat-api","tags":[]},
                 "p2":{"serviceName":"uat-router",
                       "tags":[{"key":"host.name","type":"string","value":"box"}]}}
                """));
    assertThat(trace.get("spans").get(1).get("duration").asLong()).as("truncated to µs").isOne();
  }

  @Test
  void a64BitTraceIdIsWrittenWith16HexCharactersAsJaegerDoes() throws Exception {
    TraceId id = new TraceId(0, 0xabcL);
    storage.accept(List.of(span(id, 1, API).build()));

    JsonNode trace = trace("0000000000000abc");

    assertThat(trace.get("traceID").asText()).isEqualTo("0000000000000abc");
    assertThat(trace.get("spans").get(0).get("traceID").asText()).isEqualTo("0000000000000abc");
    assertThat(trace(id.toHex()).get("traceID").asText()).isEqualTo("0000000000000abc");
  }

  @Test
  void aLinkToTheParentIsNotRepeatedAsAReference() throws Exception {
    TraceId id = new TraceId(1, 3);
    Link toParent = new Link(1, 3, 1, "", Attributes.empty(), 0, 0);
    Link elsewhere = new Link(0, 9, 8, "", Attributes.empty(), 0, 0);
    storage.accept(
        List.of(
            span(id, 1, API).build(),
            span(id, 2, API).parentSpanId(1).links(List.of(toParent, elsewhere)).build()));

    JsonNode references = trace(id.toHex()).get("spans").get(1).get("references");

    assertThat(references)
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                [{"refType":"CHILD_OF","traceID":"00000000000000010000000000000003",
                  "spanID":"0000000000000001"},
                 {"refType":"FOLLOWS_FROM","traceID":"0000000000000009","spanID":"0000000000000008"}]
                """));
  }

  @Test
  void nestedValuesBecomeJsonStringsAndUnspecifiedKindHasNoTag() throws Exception {
    TraceId id = new TraceId(1, 4);
    Attributes nested =
        Attributes.of(
            "list",
            List.of("a", 1L, 2.5, true, Bytes.of(new byte[] {(byte) 0xff})),
            "map",
            Attributes.of("inner", Attributes.of("deep", List.of())));
    storage.accept(
        List.of(
            span(id, 1, API)
                .attributes(nested)
                .scope(new InstrumentationScope("", "", Attributes.empty()))
                .traceState("vendor=x")
                .build()));

    JsonNode tags = trace(id.toHex()).get("spans").get(0).get("tags");

    assertThat(tags)
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                [{"key":"list","type":"string","value":"[\\"a\\",1,2.5,true,\\"/w==\\"]"},
                 {"key":"map","type":"string","value":"{\\"inner\\":{\\"deep\\":[]}}"},
                 {"key":"w3c.tracestate","type":"string","value":"vendor=x"}]
                """));
  }

  private static final long NOW_MICROS = System.currentTimeMillis() * 1000;

  private static Span.Builder recent(TraceId traceId, long spanId, Resource resource) {
    long start = (NOW_MICROS - 60_000_000 + spanId * 1000) * 1000;
    return Span.builder()
        .traceId(traceId)
        .spanId(spanId)
        .name("op" + spanId)
        .kind(dev.uat.observatory.model.SpanKind.SERVER)
        .startEpochNanos(start)
        .endEpochNanos(start + 5_000_000)
        .resource(resource);
  }

  @Test
  void searchAnswersTracesInTheJaegerEnvelope() throws Exception {
    TraceId slow = new TraceId(7, 1);
    TraceId fast = new TraceId(7, 2);
    storage.accept(
        List.of(
            recent(slow, 1, API)
                .name("POST /api/chat")
                .endEpochNanos((NOW_MICROS - 60_000_000 + 1000) * 1000 + 300_000_000)
                .attributes(Attributes.of("http.route", "/api/chat"))
                .build(),
            recent(slow, 2, ROUTER).parentSpanId(1).build(),
            recent(fast, 3, API).name("POST /api/chat").build()));

    JsonNode body =
        get(
            "/api/traces?service=uat-api&operation=POST%20/api/chat&tag=http.route:/api/chat"
                + "&minDuration=100ms&lookback=1h&limit=20",
            200);

    assertThat(JaegerShape.fields(body))
        .containsExactly("data", "total", "limit", "offset", "errors");
    assertThat(body.get("total").asInt()).isZero();
    assertThat(body.get("limit").asInt()).isZero();
    assertThat(body.get("offset").asInt()).isZero();
    assertThat(body.get("errors").isNull()).isTrue();
    assertThat(body.get("data")).hasSize(1);
    JsonNode trace = body.get("data").get(0);
    assertThat(JaegerShape.fields(trace))
        .containsExactly("traceID", "spans", "processes", "warnings");
    assertThat(trace.get("traceID").asText()).isEqualTo(slow.toHex());
    assertThat(trace.get("spans")).hasSize(2);
    assertThat(JaegerShape.fields(trace.get("spans").get(0)))
        .containsExactlyElementsOf(JaegerShape.SPAN_FIELDS);
    assertThat(JaegerShape.fields(trace.get("processes").get("p1")))
        .containsExactly("serviceName", "tags");

    assertThat(get("/api/traces?service=uat-api&lookback=1h", 200).get("data")).hasSize(2);
    assertThat(get("/api/traces?service=uat-api&maxDuration=10ms&lookback=1h", 200).get("data"))
        .hasSize(1);
    assertThat(
            get(
                    "/api/traces?service=uat-api&lookback=1h&tags=%7B%22http.route%22%3A%22x%22%7D",
                    200)
                .get("data"))
        .isEmpty();
  }

  @Test
  void searchByTraceIdsListsTheMissingOnesAsErrors() throws Exception {
    TraceId present = new TraceId(0, 0xabcL);
    storage.accept(List.of(recent(present, 1, API).build()));

    JsonNode body = get("/api/traces?traceID=abc&traceID=def", 200);

    assertThat(body.get("data")).hasSize(1);
    assertThat(body.get("data").get(0).get("traceID").asText()).isEqualTo("0000000000000abc");
    assertThat(body.get("errors"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "[{\"msg\":\"trace not found\",\"traceID\":\"0000000000000def\"}]"));
  }

  @Test
  void badSearchParametersAre400InTheJaegerShape() throws Exception {
    JsonNode body = get("/api/traces?lookback=1h", 400);

    assertThat(body)
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,"
                    + "\"errors\":[{\"code\":400,\"msg\":\"parameter 'service' is required\"}]}"));
    assertThat(
            get("/api/traces?service=s&minDuration=fast", 400)
                .get("errors")
                .get(0)
                .get("msg")
                .asText())
        .contains("minDuration");
  }

  @Test
  void operationsComeInBothJaegerForms() throws Exception {
    TraceId id = new TraceId(8, 1);
    storage.accept(
        List.of(
            recent(id, 1, API).name("POST /api/chat").build(),
            recent(id, 2, API)
                .name("SELECT")
                .kind(dev.uat.observatory.model.SpanKind.CLIENT)
                .build(),
            recent(id, 3, API)
                .name("SELECT")
                .kind(dev.uat.observatory.model.SpanKind.INTERNAL)
                .build()));

    JsonNode legacy = get("/api/services/uat-api/operations", 200);
    assertThat(legacy)
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"data\":[\"POST /api/chat\",\"SELECT\"],\"total\":2,\"limit\":0,"
                    + "\"offset\":0,\"errors\":null}"));

    JsonNode all = get("/api/operations?service=uat-api", 200);
    assertThat(all.get("data"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "[{\"name\":\"POST /api/chat\",\"spanKind\":\"server\"},"
                    + "{\"name\":\"SELECT\",\"spanKind\":\"internal\"},"
                    + "{\"name\":\"SELECT\",\"spanKind\":\"client\"}]"));
    assertThat(all.get("total").asInt()).isEqualTo(3);
    assertThat(get("/api/operations?service=uat-api&spanKind=client", 200).get("data"))
        .isEqualTo(Json.MAPPER.readTree("[{\"name\":\"SELECT\",\"spanKind\":\"client\"}]"));
    assertThat(get("/api/operations", 400).get("errors").get(0).get("msg").asText())
        .isEqualTo("parameter 'service' is required");
    assertThat(get("/api/services/nobody/operations", 200).get("data")).isEmpty();
  }

  @Test
  void dependenciesAreParentChildCallCountsAsJaegerWritesThem() throws Exception {
    TraceId id = new TraceId(9, 1);
    storage.accept(
        List.of(
            recent(id, 1, API).build(),
            recent(id, 2, ROUTER).parentSpanId(1).build(),
            recent(id, 3, ROUTER).parentSpanId(1).build()));
    long endTs = System.currentTimeMillis();

    JsonNode body = get("/api/dependencies?endTs=" + endTs + "&lookback=3600000", 200);

    assertThat(body)
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"data\":[{\"parent\":\"uat-api\",\"child\":\"uat-router\",\"callCount\":2}],"
                    + "\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}"));
    assertThat(
            get("/api/dependencies?endTs=" + endTs + "&lookback=3600000&service=other", 200)
                .get("data"))
        .isEmpty();
    assertThat(
            get("/api/dependencies?endTs=" + (endTs - 7_200_000) + "&lookback=60000", 200)
                .get("data"))
        .as("outside the window")
        .isEmpty();
    assertThat(
            get("/api/dependencies?endTs=yesterday", 400).get("errors").get(0).get("code").asInt())
        .isEqualTo(400);
  }
}
