package dev.uat.observatory.otlp;

import static dev.uat.observatory.otlp.ProtoWriter.id;
import static dev.uat.observatory.otlp.ProtoWriter.request;
import static dev.uat.observatory.otlp.ProtoWriter.span;
import static dev.uat.observatory.testing.Gzip.gzip;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.web.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The OTLP/HTTP receiver over real HTTP: content types, encodings, limits and answers. */
@Timeout(60)
class OtlpHttpReceiverTest {
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String JSON = "application/json";
  private static final byte[] TRACE = id(0x5b8efff798038103L, 0xd269b633813fc60cL);
  private static final String TRACE_HEX = "5b8efff798038103d269b633813fc60c";

  // HTTP/1.1 as the exporters speak it: the default client would try an h2c upgrade on each POST
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = TestObservatory.start(16L * 1024 * 1024);
    observatory = fixture.observatory();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private HttpResponse<byte[]> post(String path, HttpRequest.Builder request) throws Exception {
    return client.send(
        request.uri(URI.create(observatory.otlpUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> postTraces(String contentType, byte[] body) throws Exception {
    return post(
        "/v1/traces",
        HttpRequest.newBuilder()
            .header("Content-Type", contentType)
            .POST(BodyPublishers.ofByteArray(body)));
  }

  private static JsonNode json(HttpResponse<byte[]> response) throws IOException {
    return Json.MAPPER.readTree(response.body());
  }

  private static void assertError(HttpResponse<byte[]> response, int status, String code)
      throws IOException {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(JSON);
    assertThat(json(response).get("error").get("code").asText()).isEqualTo(code);
  }

  private JsonNode jaegerTrace(String traceId) throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/api/traces/" + traceId))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return json(response).get("data").get(0);
  }

  private static final String JSON_EXPORT =
      """
      {"resourceSpans":[{
        "resource":{"attributes":[
          {"key":"service.name","value":{"stringValue":"uat-web"}},
          {"key":"browser.mobile","value":{"boolValue":false}}]},
        "scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-fetch","version":"0.52.0"},
          "spans":[
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
             "name":"documentLoad","kind":"SPAN_KIND_INTERNAL",
             "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
             "attributes":[
               {"key":"http.response.status_code","value":{"intValue":"200"}},
               {"key":"http.request.body.size","value":{"intValue":512}},
               {"key":"ratio","value":{"doubleValue":0.5}},
               {"key":"payload","value":{"bytesValue":"AQID"}},
               {"key":"headers","value":{"kvlistValue":{"values":[
                 {"key":"accept","value":{"stringValue":"*/*"}},
                 {"key":"size","value":{"intValue":"3"}}]}}}],
             "status":{"code":2,"message":"aborted"},
             "someFutureField":{"x":[1,2,3]}},
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
             "parentSpanId":"eee19b7ec3c1b174","name":"fetch","kind":3,
             "startTimeUnixNano":1544712660100000000,"endTimeUnixNano":"1544712660300000000",
             "events":[{"timeUnixNano":"1544712660200000000","name":"sent",
                        "attributes":[{"key":"event","value":{"stringValue":"overrides the name"}}]}],
             "status":{"code":"STATUS_CODE_OK"}}
          ]}]
      }]}
      """;

  @Test
  void jsonExportIsStoredAndAnsweredWithAnEmptyObject() throws Exception {
    HttpResponse<byte[]> response = postTraces(JSON, JSON_EXPORT.getBytes(UTF_8));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(JSON);
    assertThat(new String(response.body(), UTF_8)).isEqualTo("{}");

    JsonNode trace = jaegerTrace(TRACE_HEX);
    assertThat(trace.get("processes").get("p1"))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                {"serviceName":"uat-web",
                 "tags":[{"key":"browser.mobile","type":"bool","value":false}]}
                """));
    JsonNode root = trace.get("spans").get(0);
    assertThat(root.get("operationName").asText()).isEqualTo("documentLoad");
    assertThat(root.get("startTime").asLong()).isEqualTo(1544712660000000L);
    assertThat(root.get("duration").asLong()).isEqualTo(1_000_000L);
    assertThat(root.get("tags"))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                [{"key":"otel.scope.name","type":"string","value":"@opentelemetry/instrumentation-fetch"},
                 {"key":"otel.scope.version","type":"string","value":"0.52.0"},
                 {"key":"http.response.status_code","type":"int64","value":200},
                 {"key":"http.request.body.size","type":"int64","value":512},
                 {"key":"ratio","type":"float64","value":0.5},
                 {"key":"payload","type":"binary","value":"AQID"},
                 {"key":"headers","type":"string","value":"{\\"accept\\":\\"*/*\\",\\"size\\":3}"},
                 {"key":"span.kind","type":"string","value":"internal"},
                 {"key":"otel.status_code","type":"string","value":"ERROR"},
                 {"key":"error","type":"bool","value":true},
                 {"key":"otel.status_description","type":"string","value":"aborted"}]
                """));
    JsonNode child = trace.get("spans").get(1);
    assertThat(child.get("references"))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                [{"refType":"CHILD_OF","traceID":"5b8efff798038103d269b633813fc60c",
                  "spanID":"eee19b7ec3c1b174"}]
                """));
    assertThat(child.get("logs"))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                [{"timestamp":1544712660200000,
                  "fields":[{"key":"event","type":"string","value":"overrides the name"}]}]
                """));
  }

  @Test
  void protobufExportIsAnsweredWithAnEmptyProtobufResponse() throws Exception {
    HttpResponse<byte[]> response =
        postTraces(PROTOBUF, request("uat-api", span(TRACE, id(1), "op")));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(PROTOBUF);
    assertThat(response.body()).isEmpty();
    assertThat(observatory.store().trace(TRACE_HEX)).isPresent();
  }

  @Test
  void gzippedJsonBodyIsAccepted() throws Exception {
    HttpResponse<byte[]> response =
        post(
            "/v1/traces",
            HttpRequest.newBuilder()
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Content-Encoding", "gzip")
                .POST(BodyPublishers.ofByteArray(gzip(JSON_EXPORT.getBytes(UTF_8)))));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(observatory.store().trace(TRACE_HEX).orElseThrow().spans()).hasSize(2);
  }

  @Test
  void otherContentTypesAreRejectedWith415() throws Exception {
    assertError(postTraces("text/plain", "hello".getBytes(UTF_8)), 415, "unsupported_media_type");
    assertError(
        post("/v1/traces", HttpRequest.newBuilder().POST(BodyPublishers.ofString("{}"))),
        415,
        "unsupported_media_type");
  }

  @Test
  void otherContentEncodingsAreRejectedWith415() throws Exception {
    HttpResponse<byte[]> response =
        post(
            "/v1/traces",
            HttpRequest.newBuilder()
                .header("Content-Type", JSON)
                .header("Content-Encoding", "br")
                .POST(BodyPublishers.ofString("{}")));

    assertError(response, 415, "unsupported_content_encoding");
  }

  @Test
  void oversizedOtlpBodyIsRejectedWith413() throws Exception {
    byte[] body = new byte[(int) OtlpHttpReceiver.MAX_BODY_BYTES + 1];

    assertError(postTraces(PROTOBUF, body), 413, "payload_too_large");
  }

  @Test
  void oversizedChunkedOtlpBodyIsRejectedWith413() throws Exception {
    byte[] body = new byte[(int) OtlpHttpReceiver.MAX_BODY_BYTES + 1];
    HttpResponse<byte[]> response =
        post(
            "/v1/traces",
            HttpRequest.newBuilder()
                .header("Content-Type", PROTOBUF)
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));

    assertError(response, 413, "payload_too_large");
  }

  /** {@code body} as a protobuf export declared gzip-encoded. */
  private HttpResponse<byte[]> postGzipped(byte[] body) throws Exception {
    return post(
        "/v1/traces",
        HttpRequest.newBuilder()
            .header("Content-Type", PROTOBUF)
            .header("Content-Encoding", "gzip")
            .POST(BodyPublishers.ofByteArray(body)));
  }

  @Test
  void bodyInflatingBeyondTheLimitIsRejectedWith413() throws Exception {
    byte[] bomb = gzip(new byte[(int) OtlpHttpReceiver.MAX_DECOMPRESSED_BYTES + 1]);
    assertThat(bomb.length).isLessThan((int) OtlpHttpReceiver.MAX_BODY_BYTES);

    HttpResponse<byte[]> response = postGzipped(bomb);

    assertError(response, 413, "payload_too_large");
  }

  @Test
  void malformedProtobufIsRejectedWith400() throws Exception {
    HttpResponse<byte[]> response = postTraces(PROTOBUF, new byte[] {0x0A, 0x05, 0x01});

    assertError(response, 400, "invalid_protobuf");
    assertThat(json(response).get("error").get("message").asText())
        .contains("not an OTLP ExportTraceServiceRequest");
  }

  @Test
  void malformedJsonIsRejectedWith400() throws Exception {
    assertError(postTraces(JSON, "{\"resourceSpans\":[".getBytes(UTF_8)), 400, "invalid_json");
    assertError(postTraces(JSON, "{\"resourceSpans\":7}".getBytes(UTF_8)), 400, "invalid_json");
  }

  @Test
  void invalidGzipIsRejectedWith400() throws Exception {
    HttpResponse<byte[]> response = postGzipped(new byte[] {1, 2, 3});

    assertError(response, 400, "invalid_gzip");
  }

  @Test
  void partialSuccessIsReportedForSpansWithBadIdsWhileTheGoodOnesAreStored() throws Exception {
    byte[] body =
        request("uat-api", span(TRACE, id(1), "good"), span(new byte[] {1, 2, 3}, id(2), "bad"));

    HttpResponse<byte[]> response = postTraces(PROTOBUF, body);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(PROTOBUF);
    Map<Integer, Object> partialSuccess = readPartialSuccess(response.body());
    assertThat(partialSuccess)
        .containsExactly(
            Map.entry(1, 1L),
            Map.entry(2, "1 span rejected; the first because trace_id has 3 bytes instead of 16"));
    assertThat(observatory.store().trace(TRACE_HEX).orElseThrow().spans())
        .extracting(s -> s.name())
        .containsExactly("good");
  }

  /** The fields of ExportTraceServiceResponse.partial_success: 1 rejected_spans, 2 message. */
  private static Map<Integer, Object> readPartialSuccess(byte[] response) {
    ProtoReader in = new ProtoReader(response);
    assertThat(in.readTag()).isEqualTo(1 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED);
    int outer = in.enter();
    Map<Integer, Object> fields = new LinkedHashMap<>();
    while (in.hasMore()) {
      int tag = in.readTag();
      switch (tag) {
        case 1 << 3 | ProtoReader.WIRETYPE_VARINT -> fields.put(1, in.readVarint());
        case 2 << 3 | ProtoReader.WIRETYPE_LENGTH_DELIMITED -> fields.put(2, in.readString());
        default -> throw new AssertionError("unexpected tag " + tag);
      }
    }
    in.exit(outer);
    assertThat(in.hasMore()).isFalse();
    return fields;
  }

  @Test
  void partialSuccessIsReportedInJson() throws Exception {
    String body =
        """
        {"resourceSpans":[{"scopeSpans":[{"spans":[
          {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"good"},
          {"traceId":"5b8e","spanId":"eee19b7ec3c1b175","name":"bad"}]}]}]}
        """;

    HttpResponse<byte[]> response = postTraces(JSON, body.getBytes(UTF_8));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response))
        .isEqualTo(
            Json.MAPPER.readTree(
                """
                {"partialSuccess":{"rejectedSpans":"1",
                  "errorMessage":"1 span rejected; the first because traceId '5b8e' is not 32 hex characters"}}
                """));
    assertThat(observatory.store().trace(TRACE_HEX)).isPresent();
  }

  @Test
  void metricsAndLogsExportsAreAcceptedAndDiscarded() throws Exception {
    for (String path : new String[] {"/v1/metrics", "/v1/logs"}) {
      HttpResponse<byte[]> protobuf =
          post(
              path,
              HttpRequest.newBuilder()
                  .header("Content-Type", PROTOBUF)
                  .POST(BodyPublishers.ofByteArray(new byte[] {0x0A, 0x00})));
      assertThat(protobuf.statusCode()).as(path).isEqualTo(200);
      assertThat(protobuf.body()).isEmpty();

      HttpResponse<byte[]> json =
          post(
              path,
              HttpRequest.newBuilder()
                  .header("Content-Type", JSON)
                  .POST(BodyPublishers.ofString("{\"resourceMetrics\":[]}")));
      assertThat(json.statusCode()).as(path).isEqualTo(200);
      assertThat(new String(json.body(), UTF_8)).isEqualTo("{}");
    }
  }

  @Test
  void receivedAndRejectedSpansAreCountedInMetrics() throws Exception {
    postTraces(
        PROTOBUF,
        request(
            "uat-api", span(TRACE, id(1), "a"), span(TRACE, id(2), "b"), span(TRACE, id(0), "c")));

    HttpResponse<String> metrics =
        client.send(
            HttpRequest.newBuilder(URI.create(observatory.otlpUrl() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(metrics.body())
        .contains("uat_observatory_spans_received_total{uat_observatory_receiver=\"otlp_http\"} 3")
        .contains("uat_observatory_spans_rejected_total{uat_observatory_receiver=\"otlp_http\"} 1")
        .contains("uat_observatory_traces_evicted_total 0")
        .contains("uat_observatory_store_spans 2")
        .contains("uat_observatory_store_traces 1")
        .containsPattern("uat_observatory_store_bytes [1-9][0-9]*");
  }
}
