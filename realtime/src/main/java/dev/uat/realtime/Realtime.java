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
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime service ({@code uat-realtime}): a WebSocket hub at {@code /ws} that delivers the
 * events of an {@link EventBus} to authenticated subscribers (protocol: docs/realtime.md). Also
 * accepts events over HTTP at {@code POST /internal/events} from services holding a service token
 * addressed to {@code uat-realtime}, and puts them on its bus.
 *
 * <p>With a {@link RedisEventBus}, channel history and presence live in Redis and every instance
 * delivers every event; with any other bus, history is kept in this instance's memory.
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
    requireNonNull(telemetry, "telemetry");
    requireNonNull(bus, "bus");
    requireNonNull(verifier, "verifier");
    ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("realtime-timers").factory());
    RedisEventBus redis = bus instanceof RedisEventBus r ? r : null;
    History history =
        redis != null
            ? redis
            : new MemoryHistory(
                settings.historySize(), settings.historyAge(), System::currentTimeMillis);
    Presence presence = redis != null ? redis : Presence.LOCAL;
    Hub hub = new Hub(settings, telemetry, verifier, bus.system(), history, presence, timers);
    Service service;
    try {
      Service.Builder builder =
          Service.builder("realtime", telemetry)
              .host(settings.host())
              .port(settings.port())
              .routes(
                  cfg -> {
                    cfg.jetty.modifyWebSocketServletFactory(
                        f -> {
                          f.setMaxTextMessageSize(settings.maxFrameBytes());
                          f.setMaxBinaryMessageSize(1024);
                          // liveness is ours (pings and pongs in the protocol); Jetty's idle
                          // timeout only catches what slips through
                          f.setIdleTimeout(
                              settings
                                  .pingInterval()
                                  .plus(settings.pongTimeout())
                                  .plus(settings.authTimeout())
                                  .plus(Duration.ofSeconds(30)));
                        });
                    cfg.routes.ws(
                        "/ws",
                        ws -> {
                          ws.onConnect(
                              ctx -> {
                                Connection c = hub.opened(ctx.sessionId(), ctx.session);
                                if (c == null) {
                                  return;
                                }
                                String token = TokenVerifier.bearer(ctx.header("Authorization"));
                                if (token == null && settings.queryTokenEnabled()) {
                                  token = ctx.queryParam("token");
                                }
                                if (token != null) {
                                  hub.authenticate(
                                      c, token, "true".equals(ctx.queryParam("ack")), null);
                                }
                              });
                          ws.onMessage(
                              ctx -> {
                                Connection c = hub.connection(ctx.sessionId());
                                if (c != null) {
                                  hub.onFrame(c, ctx.message());
                                }
                              });
                          ws.onBinaryMessage(
                              ctx ->
                                  ctx.closeSession(
                                      Connection.BAD_FRAME,
                                      "binary frames are not part of the protocol"));
                          ws.onClose(ctx -> hub.closed(ctx.sessionId(), ctx.status()));
                          ws.onError(ctx -> hub.closed(ctx.sessionId(), 1011));
                        });
                    cfg.routes.post(
                        "/internal/events",
                        ctx -> {
                          try {
                            verifier.verifyService(
                                TokenVerifier.bearer(ctx.header("Authorization")));
                          } catch (InvalidTokenException e) {
                            throw HttpError.unauthorized(
                                "a service token for uat-realtime is required");
                          }
                          Event event = Json.read(ctx.bodyAsBytes(), Event.class);
                          bus.publish(event);
                          ctx.status(202);
                        });
                  });
      if (redis != null) {
        builder.readiness("redis", redis::ping);
      }
      service = builder.start();
    } catch (RuntimeException e) {
      timers.shutdownNow();
      hub.shutdown();
      throw e;
    }
    AutoCloseable subscription =
        redis != null ? redis.subscribePublications(hub::deliver) : bus.subscribe(hub::publish);
    long tick =
        Math.max(
            10,
            Math.min(
                1000,
                Math.min(settings.pongTimeout().toMillis(), settings.authTimeout().toMillis())
                    / 4));
    timers.scheduleWithFixedDelay(
        () -> {
          try {
            hub.tick();
          } catch (RuntimeException e) {
            log.warn("realtime timer failed", e);
          }
        },
        tick,
        tick,
        TimeUnit.MILLISECONDS);
    timers.scheduleWithFixedDelay(
        () -> {
          try {
            presence.heartbeat();
          } catch (RuntimeException e) {
            log.warn("presence heartbeat failed: {}", e.toString());
          }
        },
        0,
        10,
        TimeUnit.SECONDS);
    return new Realtime(service, subscription, timers, hub);
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
    hub.shutdown();
    timers.shutdownNow();
    service.close();
  }
}
