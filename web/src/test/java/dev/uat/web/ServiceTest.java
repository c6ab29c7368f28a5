package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class ServiceTest {
  record Greeting(String name) {}

  // larger than the copy buffer (Service.RESULT_COPY_BYTES) and than Jetty's response buffer
  private static final String BIG = "0123456789abcdef".repeat(100 * 1024 / 16) + "end";

  @RegisterExtension final WebFixture web = new WebFixture("uat-test");
  private TestTelemetry otel;
  private Service service;

  @BeforeEach
  void start() {
    otel = web.otel();
    service =
        Service.builder("test", web.telemetry())
            .port(0)
            .maxBodyBytes(1024)
            .readiness("always", () -> {})
            .routes(
                cfg -> {
                  cfg.routes.get("/hello/{name}", ctx -> ctx.result("hi " + ctx.pathParam("name")));
                  cfg.routes.get("/big", ctx -> ctx.result(BIG));
                  cfg.routes.post(
                      "/echo", ctx -> ctx.json(Json.read(ctx.bodyAsBytes(), Greeting.class)));
                  cfg.routes.get(
                      "/boom",
                      ctx -> {
                        throw new IllegalStateException("secret internals");
                      });
                  cfg.routes.get(
                      "/database-down",
                      ctx -> {
                        throw new IllegalStateException(
                            new java.sql.SQLException("Connection is closed"));
                      });
                  cfg.routes.get(
                      "/later",
                      ctx ->
                          ctx.future(
                              () ->
                                  CompletableFuture.supplyAsync(
                                          () -> "done",
                                          CompletableFuture.delayedExecutor(
                                              100, TimeUnit.MILLISECONDS))
                                      .thenAccept(ctx::result)));
                  cfg.routes.get(
                      "/teapot",
                      ctx -> {
                        throw new HttpError(418, "teapot", "short and stout");
                      });
                })
            .start();
    web.serve(service);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return web.send(request);
  }

  private HttpRequest.Builder request(String path) {
    return web.request(path);
  }

  @Test
  void serverSpanIsNamedAfterTheRouteAndContinuesTheCallersTrace() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    var response =
        send(request("/hello/ada").header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("hi ada");
    assertThat(response.headers().firstValue("X-Trace-Id")).hasValue(traceId);
    assertThat(response.headers().firstValue("traceresponse").orElseThrow())
        .matches("00-" + traceId + "-[0-9a-f]{16}-01");

    SpanData span = otel.spans().getFirst();
    assertThat(span.getName()).isEqualTo("GET /hello/{name}");
    assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(span.getTraceId()).isEqualTo(traceId);
    assertThat(span.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(span.getAttributes().asMap().entrySet())
        .extracting(e -> e.getKey().getKey() + "=" + e.getValue())
        .contains(
            "http.request.method=GET",
            "http.route=/hello/{name}",
            "http.response.status_code=200",
            "url.path=/hello/ada");
  }

  @Test
  void aResultLargerThanTheCopyBufferArrivesWhole() throws Exception {
    var response = send(request("/big"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(BIG.length()).isGreaterThan(8 * Service.RESULT_COPY_BYTES);
    assertThat(response.body()).isEqualTo(BIG);
  }

  @Test
  void serverSpanCarriesTheHttpConventionsButNeitherQueryNorForwardedHost() throws Exception {
    send(
        request("/hello/ada?token=secret")
            .header("User-Agent", "uat-test/1")
            .header("X-Forwarded-For", "203.0.113.9")
            .header("X-Forwarded-Host", "evil.example"));

    assertThat(attributes(otel.spans().getFirst()))
        .contains(
            "url.scheme=http",
            "url.path=/hello/ada",
            "server.address=127.0.0.1",
            "server.port=" + service.port(),
            "client.address=203.0.113.9", // the loopback peer is a trusted proxy by default
            "network.peer.address=127.0.0.1",
            "network.protocol.version=1.1",
            "user_agent.original=uat-test/1")
        .noneMatch(a -> a.contains("secret") || a.contains("evil.example"));
  }

  @Test
  void clientAddressIsThePeerWhenThePeerIsNoTrustedProxy() throws Exception {
    try (Service untrusting =
        Service.builder("untrusting", otel.telemetry())
            .port(0)
            .exposure(Exposure.of("", Exposure.LOOPBACK_BLOCKS))
            .routes(cfg -> cfg.routes.get("/who", ctx -> ctx.result(Service.clientAddress(ctx))))
            .start()) {
      var response =
          send(
              HttpRequest.newBuilder(URI.create(untrusting.url() + "/who"))
                  .header("X-Forwarded-For", "203.0.113.9"));
      assertThat(response.body()).isEqualTo("127.0.0.1");
    }
    assertThat(attributes(otel.spans().getFirst()))
        .contains("client.address=127.0.0.1")
        .noneMatch(a -> a.contains("203.0.113.9"));
  }

  private static List<String> attributes(SpanData span) {
    return span.getAttributes().asMap().entrySet().stream()
        .map(e -> e.getKey().getKey() + "=" + e.getValue())
        .toList();
  }

  @Test
  void unsampledRequestStillAnswersWithItsTraceIds() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    var response =
        send(request("/hello/ada").header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-00"));

    assertThat(response.headers().firstValue("X-Trace-Id")).hasValue(traceId);
    assertThat(response.headers().firstValue("traceresponse").orElseThrow())
        .matches("00-" + traceId + "-[0-9a-f]{16}-00");
    assertThat(otel.spans()).isEmpty();
  }

  @Test
  void asynchronousResponseEndsItsSpanWhenTheResponseCompletes() throws Exception {
    var response = send(request("/later"));
    assertThat(response.body()).isEqualTo("done");

    // the span ends when the response completes, which the client may see first
    await().atMost(Duration.ofSeconds(10)).until(() -> !otel.spans().isEmpty());
    SpanData span = otel.spans().getFirst();
    assertThat(span.getName()).isEqualTo("GET /later");
    assertThat(span.getAttributes().asMap().entrySet())
        .extracting(e -> e.getKey().getKey() + "=" + e.getValue())
        .contains("http.response.status_code=200", "http.route=/later");
    assertThat(span.getEndEpochNanos() - span.getStartEpochNanos())
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
  }

  @Test
  void serverErrorsAreErrorSpansWithTheirStatusAsErrorType() throws Exception {
    send(request("/boom"));
    SpanData span = otel.spans().getFirst();
    assertThat(span.getAttributes().asMap().entrySet())
        .extracting(e -> e.getKey().getKey() + "=" + e.getValue())
        .contains("http.response.status_code=500", "error.type=500");
  }

  @Test
  void unknownRouteGetsJsonNotFound() throws Exception {
    var response = send(request("/nope"));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    var error = error(response);
    assertThat(error)
        .containsEntry("code", "not_found")
        .containsKey("message")
        .containsKey("trace_id");
  }

  @Test
  void malformedJsonIs400WithWhereItBroke() throws Exception {
    var response = send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("{\"name\": ")));
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response)).containsEntry("code", "invalid_json");
    assertThat((String) error(response).get("message")).contains("malformed JSON");
  }

  @Test
  void mistypedFieldNamesTheField() throws Exception {
    var response =
        send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("{\"name\": {\"a\":1}}")));
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat((String) error(response).get("message"))
        .contains("'name'")
        .doesNotContain("dev.uat");
  }

  @Test
  void numberWhereTextIsExpectedIsRejected() throws Exception {
    var response =
        send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("{\"name\": 42}")));
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat((String) error(response).get("message")).contains("'name'");
  }

  @Test
  void tooDeepJsonIsRejected() throws Exception {
    String deep = "[".repeat(Json.MAX_DEPTH + 5) + "]".repeat(Json.MAX_DEPTH + 5);
    var response =
        send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("{\"name\":" + deep + "}")));
    assertThat(response.statusCode()).isEqualTo(400);
  }

  @Test
  void oversizedBodyIs413() throws Exception {
    var response =
        send(
            request("/echo")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"" + "x".repeat(5000) + "\"}")));
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(error(response)).containsEntry("code", "payload_too_large");
  }

  @Test
  void muchLargerBodyIs413Too() throws Exception {
    var response =
        send(
            request("/echo")
                .timeout(Duration.ofSeconds(10))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"" + "x".repeat(3_000_000) + "\"}")));
    assertThat(response.statusCode()).isEqualTo(413);
  }

  @Test
  void unexpectedExceptionIs500WithoutInternalsAndTheSpanRecordsIt() throws Exception {
    var response = send(request("/boom"));
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.body()).doesNotContain("secret internals").doesNotContain("IllegalState");
    assertThat(error(response)).containsEntry("code", "internal_error");

    SpanData span = otel.spans().getFirst();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getEvents()).anyMatch(e -> e.getName().equals("exception"));
  }

  @Test
  void unreachableDatabaseIsA503WithRetryAfterNotAnInternalError() throws Exception {
    var response = send(request("/database-down"));
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).contains("5");
    assertThat(error(response)).containsEntry("code", "database_unavailable");
    assertThat(response.body()).doesNotContain("Connection is closed");
  }

  @Test
  void handlerErrorKeepsItsStatusAndCode() throws Exception {
    var response = send(request("/teapot"));
    assertThat(response.statusCode()).isEqualTo(418);
    assertThat(error(response))
        .containsEntry("code", "teapot")
        .containsEntry("message", "short and stout");
  }

  @Test
  void healthAndMetricsAreServedButNotTraced() throws Exception {
    send(request("/hello/x"));
    assertThat(send(request("/health/live")).statusCode()).isEqualTo(200);
    var ready = send(request("/health/ready"));
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"always\":\"ok\"");
    var metrics = send(request("/metrics"));
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("http_server_request_duration_seconds_bucket")
        .contains("http_route=\"/hello/{name}\"");
    assertThat(otel.spans()).extracting(SpanData::getName).containsExactly("GET /hello/{name}");
  }

  @Test
  void openMetricsScrapeCarriesTraceExemplars() throws Exception {
    send(request("/hello/x"));
    var metrics =
        send(request("/metrics").header("Accept", "application/openmetrics-text; version=1.0.0"));
    assertThat(metrics.body())
        .contains("trace_id=\"" + otel.spans().getFirst().getTraceId() + "\"");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> error(HttpResponse<String> response) throws Exception {
    Map<String, Object> body = Json.MAPPER.readValue(response.body(), Map.class);
    return (Map<String, Object>) body.get("error");
  }
}
