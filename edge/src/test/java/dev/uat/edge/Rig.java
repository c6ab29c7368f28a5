package dev.uat.edge;

import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import dev.uat.web.Service;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A real edge in front of recording upstreams: the api and the router are {@link MockWebServer}s
 * that answer 200 {@code ok} unless a response is queued, realtime is a real {@link Service} whose
 * WebSocket records each upgrade (query and forwarding headers) and echoes frames.
 */
final class Rig implements AutoCloseable {
  final MockWebServer api = new MockWebServer();
  final MockWebServer router = new MockWebServer();
  final BlockingQueue<MockResponse> apiResponses = new LinkedBlockingQueue<>();
  final BlockingQueue<Map<String, String>> upgrades = new LinkedBlockingQueue<>();

  /** While not counted down, realtime does not read the frames it is sent. */
  volatile CountDownLatch realtimeReads = new CountDownLatch(0);

  final TestTelemetry otel = new TestTelemetry("uat-edge");
  final TestTelemetry upstreamOtel = new TestTelemetry("uat-upstream");
  final Service realtime;
  final Edge edge;
  final HttpClient http = HttpClient.newHttpClient();

  /**
   * The edge's settings for a test: loopback on any free port in front of these upstreams, which
   * have 2 s to answer.
   */
  static EdgeSettingsBuilder settings(String apiUrl, String routerUrl, String realtimeUrl) {
    return EdgeSettings.defaults(apiUrl, routerUrl, realtimeUrl).toBuilder()
        .port(0)
        .upstreamTimeout(Duration.ofSeconds(2));
  }

  Rig(UnaryOperator<EdgeSettingsBuilder> change) throws IOException {
    api.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            MockResponse queued = apiResponses.poll();
            return queued != null ? queued : new MockResponse.Builder().body("ok").build();
          }
        });
    router.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder().body("ok").build();
          }
        });
    api.start();
    router.start();
    realtime =
        Service.builder("fake-realtime", upstreamOtel.telemetry())
            .port(0)
            .routes(
                cfg ->
                    cfg.routes.ws(
                        "/ws",
                        ws -> {
                          ws.onConnect(
                              ctx -> {
                                Map<String, String> seen = new LinkedHashMap<>();
                                seen.put("query", String.valueOf(ctx.queryString()));
                                for (String h :
                                    new String[] {
                                      "X-Forwarded-For", "X-Forwarded-Proto", "Forwarded"
                                    }) {
                                  seen.put(h, String.valueOf(ctx.header(h)));
                                }
                                upgrades.add(seen);
                                ctx.send("{\"type\":\"hello\"}");
                              });
                          ws.onMessage(
                              ctx -> {
                                realtimeReads.await(20, TimeUnit.SECONDS);
                                ctx.send(
                                    "{\"type\":\"echo\",\"n\":" + ctx.message().length() + "}");
                              });
                        }))
            .start();
    edge =
        Edge.start(
            change
                .apply(
                    settings(api.url("/").toString(), router.url("/").toString(), realtime.url())
                        .upstreamTimeout(Duration.ofSeconds(5)))
                .build(),
            otel.telemetry());
  }

  URI uri(String path) {
    return URI.create(edge.url() + path);
  }

  String ws(String path) {
    return "ws://127.0.0.1:" + edge.port() + path;
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The edge's {@code /metrics} (Prometheus text). */
  String metrics() throws Exception {
    return send(HttpRequest.newBuilder(uri("/metrics")).build()).body();
  }

  /** The counter line of one refusal reason, as Prometheus shows it. */
  static String refused(String reason) {
    return "uat_edge_requests_refused_total{uat_edge_reason=\"" + reason + "\"}";
  }

  static String errorCode(String body) throws IOException {
    return Json.MAPPER.readTree(body).at("/error/code").asText();
  }

  @Override
  public void close() {
    realtimeReads.countDown();
    edge.close();
    realtime.close();
    api.close();
    router.close();
    otel.close();
    upstreamOtel.close();
  }
}
