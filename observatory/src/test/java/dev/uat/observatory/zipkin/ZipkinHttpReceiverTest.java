package dev.uat.observatory.zipkin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.Trace;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import zipkin2.Endpoint;
import zipkin2.reporter.AsyncReporter;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/** The Zipkin v2 receiver, fed by Zipkin's own reporter and by hand-written bodies. */
@Timeout(60)
class ZipkinHttpReceiverTest {
  private final HttpClient client = HttpClient.newHttpClient();
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = observatories.start(8 << 20);
    observatory = fixture.observatory();
  }

  @Test
  void spansReportedByZipkinsAsyncReporterAreStoredAndMapped() throws Exception {
    long now = System.currentTimeMillis() * 1000;
    Endpoint frontend =
        Endpoint.newBuilder().serviceName("frontend").ip("10.1.2.3").port(8080).build();
    Endpoint backend =
        Endpoint.newBuilder().serviceName("backend").ip("10.1.2.4").port(9000).build();
    zipkin2.Span server =
        zipkin2.Span.newBuilder()
            .traceId("463ac35c9f6413ad48485a3953bb6124")
            .id("a2fb4a1d1a96d312")
            .name("get /api")
            .kind(zipkin2.Span.Kind.SERVER)
            .localEndpoint(frontend)
            .timestamp(now)
            .duration(150_000)
            .putTag("http.method", "GET")
            .putTag("http.path", "/api")
            .addAnnotation(now + 1_000, "wr")
            .build();
    zipkin2.Span client =
        zipkin2.Span.newBuilder()
            .traceId("463ac35c9f6413ad48485a3953bb6124")
            .parentId("a2fb4a1d1a96d312")
            .id("0f28a4c3bb5e1a11")
            .name("query")
            .kind(zipkin2.Span.Kind.CLIENT)
            .localEndpoint(frontend)
            .remoteEndpoint(backend)
            .timestamp(now + 2_000)
            .duration(100_000)
            .putTag("error", "connection refused")
            .build();
    URLConnectionSender sender =
        URLConnectionSender.newBuilder()
            .endpoint(observatory.zipkinUrl() + "/api/v2/spans")
            .compressionEnabled(true)
            .build();
    try (AsyncReporter<zipkin2.Span> reporter = AsyncReporter.create(sender)) {
      reporter.report(server);
      reporter.report(client);
      reporter.flush();
    } finally {
      sender.close();
    }

    String id = "463ac35c9f6413ad48485a3953bb6124";
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> observatory.store().trace(id).map(t -> t.spans().size()).orElse(0) == 2);
    Trace trace = observatory.store().trace(id).orElseThrow();
    Span root = trace.spans().get(0);
    Span call = trace.spans().get(1);
    assertThat(root.serviceName()).isEqualTo("frontend");
    assertThat(root.kind()).isEqualTo(SpanKind.SERVER);
    assertThat(root.name()).isEqualTo("get /api");
    assertThat(root.isRoot()).isTrue();
    assertThat(root.startEpochNanos()).isEqualTo(now * 1000);
    assertThat(root.durationNanos()).isEqualTo(150_000_000L);
    assertThat(root.attributes().asMap())
        .containsEntry("http.method", "GET")
        .containsEntry("http.path", "/api");
    assertThat(root.events()).singleElement().satisfies(e -> assertThat(e.name()).isEqualTo("wr"));
    assertThat(call.parentSpanId()).isEqualTo(root.spanId());
    assertThat(call.kind()).isEqualTo(SpanKind.CLIENT);
    assertThat(call.statusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(call.statusMessage()).isEqualTo("connection refused");
    assertThat(call.attributes().asMap())
        .containsEntry("peer.service", "backend")
        .containsEntry("network.peer.address", "10.1.2.4")
        .containsEntry("network.peer.port", 9000L)
        .doesNotContainKey("error");

    HttpResponse<byte[]> jaeger =
        this.client.send(
            HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/api/traces/" + id))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    JsonNode tags =
        Json.MAPPER.readTree(jaeger.body()).get("data").get(0).get("spans").get(1).get("tags");
    assertThat(tags.toString()).contains("{\"key\":\"error\",\"type\":\"bool\",\"value\":true}");
  }

  private HttpResponse<String> post(String type, String encoding, byte[] body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(observatory.zipkinUrl() + "/api/v2/spans"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      request.header("Content-Type", type);
    }
    if (encoding != null) {
      request.header("Content-Encoding", encoding);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aValidListIsAcceptedWith202AndBadIdsAreSkipped() throws Exception {
    String body =
        """
        [{"traceId":"00000000000000ab","id":"0000000000000001","name":"ok",
          "timestamp":1700000000000000,"duration":5,"localEndpoint":{"serviceName":"svc"},
          "tags":{"otel.status_code":"ERROR","otel.status_description":"bad"},"unknown":{"x":1}},
         {"traceId":"zz","id":"0000000000000002","name":"bad id"},
         {"traceId":"00000000000000ab","id":"0000000000000000","name":"zero id"}]
        """;
    HttpResponse<String> response =
        post("application/json", null, body.getBytes(StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(response.body()).isEmpty();
    Trace trace = observatory.store().trace("ab").orElseThrow();
    assertThat(trace.spans())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.traceIdHigh()).as("64-bit ids stay 64-bit").isZero();
              assertThat(s.statusCode()).isEqualTo(StatusCode.ERROR);
              assertThat(s.statusMessage()).isEqualTo("bad");
            });
  }

  @Test
  void gzippedBodiesAreAccepted() throws Exception {
    byte[] json =
        "[{\"traceId\":\"00000000000000cd\",\"id\":\"0000000000000001\",\"timestamp\":1}]"
            .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json);
    }

    assertThat(post("application/json", "gzip", gz.toByteArray()).statusCode()).isEqualTo(202);
    assertThat(observatory.store().trace("cd")).isPresent();
  }

  @Test
  void malformedBodiesAre400AndOtherEncodingsAre415() throws Exception {
    HttpResponse<String> notJson =
        post("application/json", null, "{\"not\":\"a list\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(Json.MAPPER.readTree(notJson.body()).get("error").get("code").asText())
        .isEqualTo("invalid_json");
    assertThat(
            post("application/json", null, "[{\"traceId\":".getBytes(StandardCharsets.UTF_8))
                .statusCode())
        .isEqualTo(400);
    HttpResponse<String> proto = post("application/x-protobuf", null, new byte[] {1, 2});
    assertThat(proto.statusCode()).isEqualTo(415);
    assertThat(proto.body()).contains("application/json");
    assertThat(post("application/json", "br", new byte[] {1}).statusCode()).isEqualTo(415);
  }
}
