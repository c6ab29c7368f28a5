package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;
import dev.uat.web.Urls;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http.UriCompliance;

/**
 * The gateway ({@code uat-edge}, :8000): {@code /api/*} to the api, {@code /v1/*} to the router,
 * {@code /ws} to realtime, and the web chat client at {@code /} (static files, plus {@code
 * /ui-config.json}). Its SERVER span is the root of every request's trace. Nothing else is
 * reachable through it: the components' {@code /metrics}, health and internal routes, and the
 * observatory, are not proxied (see edge/RATIONALE.md).
 *
 * <p>What it refuses, each with a JSON error and a count in {@code uat.edge.requests.refused}: a
 * URL it cannot forward (400, 414), a body over {@link EdgeSettings#maxBodyBytes()} after
 * decompression (413), an unknown {@code Content-Encoding} (415), a body that does not decode
 * (400), more bodies in flight than {@link EdgeSettings#maxInFlightBodyBytes()} (503).
 *
 * <p>{@link #start} binds and returns; requests are served on virtual threads until {@link
 * #close()}.
 */
public final class Edge implements AutoCloseable {
  private static final List<HandlerType> METHODS =
      List.of(
          HandlerType.GET,
          HandlerType.POST,
          HandlerType.PUT,
          HandlerType.PATCH,
          HandlerType.DELETE,
          HandlerType.HEAD,
          HandlerType.OPTIONS);

  private final Service service;
  private final ServletContextHandler context;

  private Edge(Service service, ServletContextHandler context) {
    this.service = service;
    this.context = context;
  }

  public static Edge start(EdgeSettings settings, Telemetry telemetry) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    EdgeMetrics metrics = new EdgeMetrics(telemetry);
    BodyBudget budget = new BodyBudget(settings.maxInFlightBodyBytes());
    ForwardTarget targets = new ForwardTarget(metrics);
    Forwarding forwarding = new Forwarding(settings.exposure());
    HttpProxy proxy =
        new HttpProxy(
            telemetry,
            settings.upstreamTimeout(),
            targets,
            new BodyReader(settings.maxBodyBytes(), budget, metrics),
            forwarding);
    WebSocketProxy websockets =
        new WebSocketProxy(settings.realtimeUrl(), targets, forwarding, budget, metrics);
    String api = Urls.stripSlash(settings.apiUrl());
    String router = Urls.stripSlash(settings.routerUrl());
    WebClient web = WebClient.load(Urls.stripSlash(settings.observatoryUrl()));
    JsonErrorHandler errors = new JsonErrorHandler(metrics);
    AtomicReference<ServletContextHandler> context = new AtomicReference<>();
    Service service =
        Service.builder("edge", telemetry)
            .host(settings.host())
            .port(settings.port())
            .maxBodyBytes(settings.maxBodyBytes())
            .exposure(settings.exposure())
            .routes(
                cfg -> {
                  cfg.jetty.modifyServer(server -> server.setErrorHandler(errors));
                  cfg.jetty.modifyServletContextHandler(context::set); // sessions: see Service
                  cfg.jetty.modifyHttpConfiguration(
                      http -> http.setUriCompliance(lenientPath(http.getUriCompliance())));
                  for (HandlerType method : METHODS) {
                    cfg.routes.addHttpHandler(method, "/api/*", ctx -> proxy.forward(ctx, api));
                    cfg.routes.addHttpHandler(method, "/v1/*", ctx -> proxy.forward(ctx, router));
                  }
                  cfg.routes.addHttpHandler(
                      HandlerType.WEBSOCKET_BEFORE_UPGRADE, "/ws", websockets::beforeUpgrade);
                  cfg.routes.ws("/ws", websockets::configure);
                  web.routes(cfg);
                })
            .start();
    return new Edge(service, context.get());
  }

  /** Whether the server holds the HTTP session {@code id} (for tests: it never should). */
  boolean holdsSession(String id) throws Exception {
    return context.getSessionHandler().getSessionCache().contains(id);
  }

  /**
   * The server's URI rules, but characters such as {@code |}, {@code {}} and {@code ^} taken in the
   * path (curl sends them raw), so that the edge can percent-encode and forward them.
   */
  static UriCompliance lenientPath(UriCompliance base) {
    return base.with("uat-edge", UriCompliance.Violation.ILLEGAL_PATH_CHARACTERS);
  }

  public int port() {
    return service.port();
  }

  public String url() {
    return service.url();
  }

  @Override
  public void close() {
    service.close();
  }
}
