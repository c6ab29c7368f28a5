package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Exposure;
import dev.uat.web.Service;
import dev.uat.web.WebFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge passes on {@code /api/*}, {@code /v1/*} and {@code /ws} only: a component's {@code
 * /metrics}, health and internal routes (realtime's {@code /internal/events}), and the
 * observatory's UI and query API, are not reachable through it.
 */
@Timeout(30)
class InternalRoutesTest {
  @RegisterExtension final WebFixture web = new WebFixture("uat-edge");
  private final Queue<String> seenByComponent = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void start() {
    TestTelemetry componentOtel = web.closeAfter(new TestTelemetry("uat-component"));
    // one real component behind /api, /v1 and /ws, with what every component serves
    Service component =
        Service.builder("component", componentOtel.telemetry())
            .port(0)
            .routes(
                cfg -> {
                  cfg.routes.before(ctx -> seenByComponent.add(ctx.path()));
                  cfg.routes.post("/internal/events", ctx -> ctx.status(202));
                  cfg.routes.get("/api/ping", ctx -> ctx.result("pong"));
                })
            .start();
    web.closeAfter(component);
    Edge edge =
        Edge.start(
            Rig.settings(component.url(), component.url(), component.url())
                .maxBodyBytes(4096)
                .exposure(Exposure.of(Exposure.LOOPBACK_BLOCKS, "")) // nobody reads /metrics
                .build(),
            web.telemetry());
    web.serve(edge, edge.url());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return web.send(web.request(path));
  }

  @Test
  void onlyApiV1AndWsReachAComponent() throws Exception {
    assertThat(get("/api/ping").body()).isEqualTo("pong");
    seenByComponent.clear();

    for (String path :
        List.of(
            "/internal/events",
            "/search",
            "/trace/4bf92f3577b34da6a3ce929d0e0e4736",
            "/api/v3/services")) {
      var response = get(path);
      assertThat(response.statusCode()).as(path).isEqualTo(404);
      assertThat(Rig.errorCode(response.body())).as(path).isEqualTo("not_found");
    }
    var post =
        web.send(web.request("/internal/events").POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(post.statusCode()).isEqualTo(404);

    // the edge's own /metrics follows its metrics-allow; the component's is not proxied
    var metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(403);
    assertThat(Rig.errorCode(metrics.body())).isEqualTo("forbidden");

    // the only paths the component saw came through /api/* (here: the 404s under /api)
    assertThat(seenByComponent).allMatch(p -> p.startsWith("/api/"));
  }
}
