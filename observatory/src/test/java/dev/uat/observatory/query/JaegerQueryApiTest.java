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
}
