package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;
import io.javalin.http.HandlerType;
import java.util.List;

/**
 * The gateway ({@code uat-edge}, :8000): {@code /api/*} to the api, {@code /v1/*} to the router,
 * {@code /ws} to realtime, and the web chat client at {@code /} (static files, plus {@code
 * /ui-config.json}). Its SERVER span is the root of every request's trace.
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

  private Edge(Service service) {
    this.service = service;
  }

  public static Edge start(EdgeSettings settings, Telemetry telemetry) {
    requireNonNull(settings, "settings");
    HttpProxy proxy = new HttpProxy(telemetry, settings.upstreamTimeout());
    WebSocketProxy websockets = new WebSocketProxy(settings.realtimeUrl());
    String api = strip(settings.apiUrl());
    String router = strip(settings.routerUrl());
    WebClient web = WebClient.load(strip(settings.observatoryUrl()));
    Service service =
        Service.builder("edge", telemetry)
            .host(settings.host())
            .port(settings.port())
            .maxBodyBytes(settings.maxBodyBytes())
            .routes(
                cfg -> {
                  for (HandlerType method : METHODS) {
                    cfg.routes.addHttpHandler(method, "/api/*", ctx -> proxy.forward(ctx, api));
                    cfg.routes.addHttpHandler(method, "/v1/*", ctx -> proxy.forward(ctx, router));
                  }
                  cfg.routes.addHttpHandler(
                      HandlerType.WEBSOCKET_BEFORE_UPGRADE,
                      "/ws",
                      ctx ->
                          ctx.attribute(
                              WebSocketProxy.TRACEPARENT_ATTRIBUTE, WebSocketProxy.traceparent()));
                  cfg.routes.ws("/ws", websockets::configure);
                  web.routes(cfg);
                })
            .start();
    return new Edge(service);
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
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
