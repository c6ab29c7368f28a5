package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import dev.uat.web.Service;
import dev.uat.web.WsClient;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EdgeTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final CountDownLatch releaseSecondChunk = new CountDownLatch(1);
  private MockWebServer api;
  private TestTelemetry otel;
  private TestTelemetry upstreamOtel;
  private Service router; // a real server, to stream SSE and to serve a WebSocket
  private Edge edge;

  @BeforeEach
  void start() throws Exception {
    api = new MockWebServer();
    api.start();
    otel = new TestTelemetry("uat-edge");
    upstreamOtel = new TestTelemetry("uat-upstream");
    router =
        Service.builder("fake-router", upstreamOtel.telemetry())
            .port(0)
            .routes(
                cfg -> {
                  cfg.routes.post(
                      "/v1/stream",
                      ctx -> {
                        ctx.contentType("text/event-stream");
                        var out = ctx.res().getOutputStream();
                        out.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        releaseSecondChunk.await(10, TimeUnit.SECONDS);
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                      });
                  cfg.routes.ws(
                      "/ws",
                      ws -> {
                        ws.onConnect(
                            ctx ->
                                ctx.send(
                                    Json.writeString(
                                        Map.of(
                                            "type", "hello",
                                            "authorization",
                                                String.valueOf(ctx.header("Authorization")),
                                            "traceparent",
                                                String.valueOf(ctx.header("traceparent"))))));
                        ws.onMessage(
                            ctx ->
                                ctx.send(
                                    "{\"type\":\"echo\",\"text\":"
                                        + Json.writeString(ctx.message())
                                        + "}"));
                      });
                })
            .start();
    edge =
        Edge.start(
            Rig.settings(api.url("/").toString(), router.url(), router.url())
                .maxBodyBytes(4096)
                .build(),
            otel.telemetry());
  }

  @AfterEach
  void stop() {
    releaseSecondChunk.countDown();
    edge.close();
    router.close();
    otel.close();
    upstreamOtel.close();
    api.close();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(edge.url() + path));
  }

  @Test
  void apiRequestIsForwardedWithPathQueryHeadersBodyAndTrace() throws Exception {
    api.enqueue(
        new MockResponse.Builder()
            .code(201)
            .addHeader("Content-Type", "application/json")
            .addHeader("X-Custom", "kept")
            .addHeader("traceresponse", "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01")
            .body("{\"ok\":true}")
            .build());
    String callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

    var response =
        client.send(
            request("/api/things?x=1&y=two")
                .header("Authorization", "Bearer abc")
                .header("traceparent", "00-" + callerTrace + "-00f067aa0ba902b7-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body()).isEqualTo("{\"ok\":true}");
    assertThat(response.headers().firstValue("X-Custom")).hasValue("kept");
    assertThat(response.headers().firstValue("X-Trace-Id")).hasValue(callerTrace);
    assertThat(response.headers().allValues("traceresponse"))
        .singleElement()
        .asString()
        .contains(callerTrace);

    RecordedRequest forwarded = api.takeRequest();
    assertThat(forwarded.getTarget()).isEqualTo("/api/things?x=1&y=two");
    assertThat(forwarded.getMethod()).isEqualTo("POST");
    assertThat(forwarded.getBody().utf8()).isEqualTo("{\"a\":1}");
    assertThat(forwarded.getHeaders().get("Authorization")).isEqualTo("Bearer abc");
    assertThat(forwarded.getHeaders().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(forwarded.getHeaders().values("traceparent"))
        .singleElement()
        .asString()
        .contains(callerTrace);

    SpanData server =
        otel.spans().stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    SpanData clientSpan =
        otel.spans().stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    assertThat(server.getName()).isEqualTo("POST /api/*");
    assertThat(server.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(clientSpan.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(forwarded.getHeaders().get("traceparent")).contains(clientSpan.getSpanId());
  }

  @Test
  void serverSentEventsStreamThroughBeforeTheUpstreamFinishes() throws Exception {
    var response =
        client.send(
            request("/v1/stream").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    try (var reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      // the upstream holds its second chunk back until we have read the first one
      assertThat(reader.readLine()).isEqualTo("data: first");
      releaseSecondChunk.countDown();
      assertThat(reader.readLine()).isEmpty();
      assertThat(reader.readLine()).isEqualTo("data: [DONE]");
    }
  }

  @Test
  void unreachableUpstreamIs502WithJsonError() throws Exception {
    api.close();
    var response =
        client.send(request("/api/anything").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(502);
    JsonNode error = Json.MAPPER.readTree(response.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("upstream_unavailable");
    assertThat(response.headers().firstValue("X-Trace-Id")).isPresent();
  }

  @Test
  void slowUpstreamIs504() throws Exception {
    api.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).body("late").build());
    var response = client.send(request("/api/slow").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(504);
  }

  @Test
  void oversizedBodyIsRejectedAtTheEdge() throws Exception {
    var response =
        client.send(
            request("/api/x").POST(HttpRequest.BodyPublishers.ofString("x".repeat(10_000))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(api.getRequestCount()).isZero();
  }

  @Test
  void unknownPathIsJson404() throws Exception {
    var response = client.send(request("/nowhere").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(Json.MAPPER.readTree(response.body()).at("/error/code").asText())
        .isEqualTo("not_found");
  }

  @Test
  void webSocketIsRelayedWithAuthorizationAndTrace() throws Exception {
    try (WsClient ws = WsClient.open("ws://127.0.0.1:" + edge.port() + "/ws", "tok")) {
      JsonNode hello = ws.next();
      assertThat(hello.get("authorization").asText()).isEqualTo("Bearer tok");
      SpanData upgrade = awaitSpan("GET /ws");
      assertThat(hello.get("traceparent").asText())
          .startsWith("00-" + upgrade.getTraceId() + "-" + upgrade.getSpanId());
      ws.send("{\"n\":1}");
      ws.send("{\"n\":2}");
      assertThat(ws.next().get("text").asText()).isEqualTo("{\"n\":1}");
      assertThat(ws.next().get("text").asText()).isEqualTo("{\"n\":2}");
    }
  }

  private SpanData awaitSpan(String name) {
    return await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> otel.spans().stream().filter(s -> s.getName().equals(name)).findFirst(),
            o -> o.isPresent())
        .orElseThrow();
  }

  @Test
  void webSocketToADeadRealtimeIsClosedWith1011() throws Exception {
    router.close();
    try (WsClient ws = WsClient.open("ws://127.0.0.1:" + edge.port() + "/ws")) {
      assertThat(ws.closeCode()).isEqualTo(1011);
    }
  }
}
