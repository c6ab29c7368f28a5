package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.Event;
import dev.uat.events.EventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Service;
import io.javalin.websocket.WsContext;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime service ({@code uat-realtime}): a WebSocket hub at {@code /ws} that delivers the
 * events of an {@link EventBus} to authenticated subscribers. Also accepts events over HTTP at
 * {@code POST /internal/events} from services holding a service token addressed to {@code
 * uat-realtime} (the distributed mode without Redis).
 */
public final class Realtime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Realtime.class);

  /** Audience of the service tokens this service accepts. */
  public static final String AUDIENCE = "uat-realtime";

  private final Service service;
  private final AutoCloseable subscription;
  private final ScheduledExecutorService timers;
  private final Hub hub;

  private Realtime(
      Service service, AutoCloseable subscription, ScheduledExecutorService timers, Hub hub) {
    this.service = service;
    this.subscription = subscription;
    this.timers = timers;
    this.hub = hub;
  }

  public static Realtime start(
      RealtimeSettings settings, Telemetry telemetry, EventBus bus, TokenVerifier verifier) {
    requireNonNull(settings, "settings");
    Hub hub = new Hub(telemetry, verifier, settings.apiUrl(), bus.system());
    ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("realtime-timers").factory());
    Service service =
        Service.builder("realtime", telemetry)
            .host(settings.host())
            .port(settings.port())
            .routes(
                cfg -> {
                  cfg.jetty.modifyWebSocketServletFactory(
                      f -> f.setMaxTextMessageSize(settings.maxFrameBytes()));
                  cfg.routes.ws(
                      "/ws",
                      ws -> {
                        ws.onConnect(
                            ctx -> {
                              Hub.Connection c = hub.opened(ctx.sessionId(), ctx.session);
                              ctx.enableAutomaticPings(25, TimeUnit.SECONDS);
                              String token = TokenVerifier.bearer(ctx.header("Authorization"));
                              if (token == null && settings.queryTokenEnabled()) {
                                token = ctx.queryParam("token");
                              }
                              if (token != null) {
                                hub.authenticate(c, token, null);
                              } else {
                                timers.schedule(
                                    () -> closeIfAnonymous(c),
                                    settings.authTimeout().toMillis(),
                                    TimeUnit.MILLISECONDS);
                              }
                            });
                        ws.onMessage(
                            ctx -> {
                              Hub.Connection c = hub.connection(ctx.sessionId());
                              if (c != null) {
                                hub.onFrame(c, ctx.message());
                              }
                            });
                        ws.onBinaryMessage(
                            ctx ->
                                closeBadFrame(ctx, "binary frames are not part of the protocol"));
                        ws.onClose(ctx -> hub.closed(ctx.sessionId()));
                        ws.onError(ctx -> hub.closed(ctx.sessionId()));
                      });
                  cfg.routes.post(
                      "/internal/events",
                      ctx -> {
                        try {
                          verifier.verifyService(TokenVerifier.bearer(ctx.header("Authorization")));
                        } catch (InvalidTokenException e) {
                          throw HttpError.unauthorized(
                              "a service token for uat-realtime is required");
                        }
                        Event event = Json.read(ctx.bodyAsBytes(), Event.class);
                        hub.deliver(event);
                        ctx.status(202);
                      });
                })
            .start();
    AutoCloseable subscription = bus.subscribe(hub::deliver);
    return new Realtime(service, subscription, timers, hub);
  }

  private static void closeIfAnonymous(Hub.Connection c) {
    if (c.principal == null && c.session.isOpen()) {
      Hub.error(c, null, "unauthenticated", "no connect frame within the time allowed");
      c.session.close(
          Hub.CLOSE_UNAUTHENTICATED,
          "unauthenticated",
          org.eclipse.jetty.websocket.api.Callback.NOOP);
    }
  }

  private static void closeBadFrame(WsContext ctx, String reason) {
    ctx.closeSession(Hub.CLOSE_BAD_FRAME, reason);
  }

  public int port() {
    return service.port();
  }

  public String url() {
    return service.url();
  }

  /** Open connections, authenticated or not. */
  public int connections() {
    return hub.connectionCount();
  }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      log.warn("unsubscribing from the bus failed", e);
    }
    timers.shutdownNow();
    service.close();
  }
}
