package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.Credentials;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.Event;
import dev.uat.events.EventBus;
import dev.uat.events.HttpEventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Service;
import io.javalin.config.JavalinConfig;
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
 * addressed to {@code uat-realtime}, and puts them on its bus (or, with {@code Uat-Delivery:
 * local}, hands them to this instance's subscribers only: {@link RealtimeEvents#deliverHere}).
 *
 * <p>{@link RealtimeEvents} says where its events come from and where the channels' history and
 * presence are kept: in Redis (every instance delivers every event, with the same offsets), or in
 * this instance's memory, within {@link RealtimeSettings#historyBytes()}.
 *
 * <p>Credentials are checked by {@link Credentials}: at connect, every {@link
 * RealtimeSettings#credentialRecheck()} for every open connection, and at once when a revocation
 * arrives on the bus ({@code internal:auth}, which is never delivered to clients nor kept).
 * Thread-safe; {@link #start} throws when the port cannot be bound.
 */
public final class Realtime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Realtime.class);

  /** Audience of the service tokens this service accepts. */
  public static final String AUDIENCE = "uat-realtime";

  /** Request attribute carrying the client address from the upgrade to the connection. */
  private static final String CLIENT_ADDRESS = "uat.realtime.client";

  /** Jetty's read buffer and initial text-message buffer per frame read (its default: 4 KiB). */
  private static final int INPUT_BUFFER_BYTES = 1024;

  private final Service service;
  private final AutoCloseable[] subscriptions;
  private final ScheduledExecutorService timers;
  private final ScheduledExecutorService rechecks;
  private final Hub hub;

  private Realtime(
      Service service,
      ScheduledExecutorService timers,
      ScheduledExecutorService rechecks,
      Hub hub,
      AutoCloseable... subscriptions) {
    this.service = service;
    this.subscriptions = subscriptions;
    this.timers = timers;
    this.rechecks = rechecks;
    this.hub = hub;
  }

  /**
   * Starts with credentials that ask the api's {@code GET /api/auth/introspect} what a signature
   * cannot tell (is the session still active, is the key live), at {@link
   * RealtimeSettings#apiUrl()} through a traced client ({@link Credentials#remote}). {@code
   * verifier} must accept service tokens addressed to {@link #AUDIENCE} (for {@code POST
   * /internal/events}).
   */
  public static Realtime start(
      RealtimeSettings settings,
      Telemetry telemetry,
      RealtimeEvents events,
      TokenVerifier verifier) {
    return start(
        settings, telemetry, events, Credentials.remote(verifier, settings.apiUrl(), telemetry));
  }

  /**
   * Starts the service on {@code events} (its bus, and where the channels' history and presence are
   * kept: see {@link RealtimeEvents}). {@code credentials} decides who may connect, and learns
   * revocations from the bus ({@link Credentials#listen}); its {@link Credentials#verifier()} must
   * accept service tokens addressed to {@link #AUDIENCE}. Closing the service does not close {@code
   * events}.
   */
  public static Realtime start(
      RealtimeSettings settings,
      Telemetry telemetry,
      RealtimeEvents events,
      Credentials credentials) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    requireNonNull(events, "events");
    requireNonNull(credentials, "credentials");
    EventBus bus = events.bus();
    ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("realtime-timers").factory());
    ScheduledExecutorService rechecks =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("realtime-credentials").factory());
    HubMetrics metrics = new HubMetrics(telemetry, bus.system());
    metrics.observeCap(settings.maxConnections());
    RealtimeEvents.Backing backing = events.backing(settings, metrics);
    Hub hub =
        new Hub(
            settings,
            telemetry,
            metrics,
            credentials,
            bus.system(),
            backing.history(),
            backing.presence(),
            timers);
    Service service;
    try {
      Service.Builder builder =
          Service.builder("realtime", telemetry)
              .host(settings.host())
              .port(settings.port())
              .exposure(settings.exposure())
              .routes(cfg -> routes(cfg, settings, hub, events, credentials.verifier()));
      if (backing.readiness() != null) {
        builder.readiness(bus.system(), backing.readiness());
      }
      service = builder.start();
    } catch (RuntimeException e) {
      timers.shutdownNow();
      rechecks.shutdownNow();
      hub.shutdown();
      throw e;
    }
    AutoCloseable subscription = backing.feed().start(hub.delivery);
    AutoCloseable revocations = credentials.onRevocation(hub.checks::revoked);
    AutoCloseable listening = credentials.listen(bus);
    long recheck = settings.credentialRecheck().toMillis();
    every(rechecks, recheck, recheck, hub.checks::recheck, "credential re-check failed");
    long tick =
        Math.max(
            10,
            Math.min(
                1000,
                Math.min(settings.pongTimeout().toMillis(), settings.authTimeout().toMillis())
                    / 4));
    every(timers, tick, tick, hub::tick, "realtime timer failed");
    every(timers, 0, 10_000, backing.presence()::heartbeat, "presence heartbeat failed");
    return new Realtime(service, timers, rechecks, hub, listening, revocations, subscription);
  }

  /** Runs {@code task} every {@code periodMillis} on {@code executor}; a failure is logged. */
  private static void every(
      ScheduledExecutorService executor,
      long initialMillis,
      long periodMillis,
      Runnable task,
      String failure) {
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.warn(failure, e);
          }
        },
        initialMillis,
        periodMillis,
        TimeUnit.MILLISECONDS);
  }

  /** The WebSocket at {@code /ws} and {@code POST /internal/events}. */
  private static void routes(
      JavalinConfig cfg,
      RealtimeSettings settings,
      Hub hub,
      RealtimeEvents events,
      TokenVerifier verifier) {
    cfg.jetty.modifyWebSocketServletFactory(
        f -> {
          f.setMaxTextMessageSize(settings.maxFrameBytes());
          f.setMaxBinaryMessageSize(1024);
          // Jetty starts every text message's string builder at this size (4 KiB by default):
          // client frames are small (a pong is 15 bytes, a connect with its token ~700), and a
          // larger one still arrives whole, in more reads
          f.setInputBufferSize(INPUT_BUFFER_BYTES);
          // liveness is ours (pings and pongs in the protocol); Jetty's idle
          // timeout only catches what slips through
          f.setIdleTimeout(
              settings
                  .pingInterval()
                  .plus(settings.pongTimeout())
                  .plus(settings.authTimeout())
                  .plus(Duration.ofSeconds(30)));
        });
    cfg.routes.wsBeforeUpgrade(
        "/ws",
        ctx -> {
          String client = Service.clientAddress(ctx);
          if (!hub.connections.admits(client)) {
            hub.metrics.refused("unauthenticated_per_address");
            throw new HttpError(
                429,
                "too_many_connections",
                "too many unauthenticated connections from this address",
                1);
          }
          ctx.attribute(CLIENT_ADDRESS, client);
        });
    cfg.routes.ws(
        "/ws",
        ws -> {
          ws.onConnect(
              ctx -> {
                Object client = ctx.attribute(CLIENT_ADDRESS);
                Connection c =
                    hub.connections.opened(
                        ctx.sessionId(),
                        ctx.session,
                        client instanceof String a
                            ? a
                            : String.valueOf(ctx.session.getRemoteSocketAddress()));
                if (c == null) {
                  return;
                }
                String token = TokenVerifier.bearer(ctx.header("Authorization"));
                if (token == null && settings.queryTokenEnabled()) {
                  token = ctx.queryParam("token");
                }
                if (token != null) {
                  hub.protocol.authenticate(c, token, "true".equals(ctx.queryParam("ack")), null);
                }
              });
          ws.onMessage(
              ctx -> {
                Connection c = hub.connections.connection(ctx.sessionId());
                if (c != null) {
                  hub.protocol.onFrame(c, ctx.message());
                }
              });
          ws.onBinaryMessage(
              ctx ->
                  ctx.closeSession(
                      Connection.BAD_FRAME, "binary frames are not part of the protocol"));
          ws.onClose(ctx -> hub.connections.closed(ctx.sessionId(), ctx.status()));
          ws.onError(ctx -> hub.connections.closed(ctx.sessionId(), 1011));
        });
    cfg.routes.post(
        "/internal/events",
        ctx -> {
          try {
            verifier.verifyService(TokenVerifier.bearer(ctx.header("Authorization")));
          } catch (InvalidTokenException e) {
            throw HttpError.unauthorized("a service token for uat-realtime is required");
          }
          byte[] body = ctx.bodyAsBytes();
          Event event = Json.read(body, Event.class);
          if (HttpEventBus.LOCAL.equals(ctx.header(HttpEventBus.DELIVERY_HEADER))) {
            events.deliverHere(event, body.length);
          } else {
            events.bus().publish(event);
          }
          ctx.status(202);
        });
  }

  public int port() {
    return service.port();
  }

  public String url() {
    return service.url();
  }

  /** Open connections, authenticated or not. */
  public int connections() {
    return hub.connections.count();
  }

  @Override
  public void close() {
    for (AutoCloseable s : subscriptions) {
      try {
        s.close();
      } catch (Exception e) {
        log.warn("unsubscribing from the bus failed", e);
      }
    }
    rechecks.shutdownNow();
    hub.shutdown();
    timers.shutdownNow();
    service.close();
  }
}
