package dev.uat.edge;

import dev.uat.telemetry.TraceParent;
import dev.uat.web.HttpError;
import dev.uat.web.Service;
import dev.uat.web.Urls;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays WebSocket text frames between browsers and the realtime service, one upstream connection
 * per client connection, closes propagated both ways. The upgrade to realtime carries the {@code
 * traceparent} of the edge's {@code GET /ws} span, the client's {@code Authorization} header, if
 * any, its query (checked by {@link ForwardTarget}: a query that cannot be forwarded as it is
 * refuses the upgrade with 400), and the {@link Forwarding} headers, so that realtime sees the
 * client's address in {@code X-Forwarded-For}.
 *
 * <p>Frames from the client wait for realtime in a per-connection queue: more than {@link
 * #MAX_PENDING_BYTES} waiting closes the client with 1008, and the bytes waiting over all
 * connections share the edge's {@link BodyBudget} (spent: closed with 1013, try again later); both
 * counted as {@code ws_backlog}. Thread-safe.
 */
final class WebSocketProxy {
  private static final Logger log = LoggerFactory.getLogger(WebSocketProxy.class);
  static final String UPGRADE_ATTRIBUTE = "uat.ws.upgrade";

  /**
   * Client frames one connection may have waiting for realtime: 1 MiB (estimated at 2 bytes a
   * char), what realtime lets wait in the other direction.
   */
  static final long MAX_PENDING_BYTES = 1024 * 1024;

  /** How long realtime has to take the last frames and the close before it is cut off. */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  static final int POLICY_VIOLATION = 1008;
  static final int TRY_AGAIN_LATER = 1013;

  /** What the HTTP upgrade request left for the relay. */
  private record Upgrade(URI upstream, String traceparent, Map<String, String> headers) {}

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String upstream;
  private final ForwardTarget targets;
  private final Forwarding forwarding;
  private final BodyBudget budget;
  private final EdgeMetrics metrics;
  private final Map<String, Relay> relays = new ConcurrentHashMap<>();

  WebSocketProxy(
      String realtimeUrl,
      ForwardTarget targets,
      Forwarding forwarding,
      BodyBudget budget,
      EdgeMetrics metrics) {
    String base = realtimeUrl.replaceFirst("^http", "ws");
    this.upstream = Urls.stripSlash(base) + "/ws";
    this.targets = targets;
    this.forwarding = forwarding;
    this.budget = budget;
    this.metrics = metrics;
  }

  /**
   * Runs before the upgrade, on the HTTP request: keeps its trace context, forwarding headers and
   * re-encoded query for {@link #open}. Throws a 400 or 414 {@code HttpError} for a query that
   * cannot be forwarded.
   */
  void beforeUpgrade(Context ctx) throws IOException {
    String query;
    try {
      query = targets.webSocketQuery(ctx.req().getQueryString());
    } catch (HttpError e) {
      // Javalin renders an upgrade's error status but not its body: write the body here
      Service.renderError(ctx, e);
      InputStream body = ctx.resultInputStream();
      if (body != null) {
        try (body) {
          body.transferTo(ctx.res().getOutputStream());
        }
        ctx.res().flushBuffer();
      }
      throw e;
    }
    ctx.attribute(
        UPGRADE_ATTRIBUTE,
        new Upgrade(
            URI.create(query == null ? upstream : upstream + "?" + query),
            TraceParent.current().orElse(null),
            forwarding.headers(ctx.req())));
  }

  void configure(WsConfig ws) {
    ws.onConnect(this::open);
    ws.onMessage(
        ctx -> {
          Relay r = relays.get(ctx.sessionId());
          if (r != null) {
            r.toUpstream(ctx.message());
          }
        });
    ws.onClose(
        ctx -> {
          Relay r = relays.remove(ctx.sessionId());
          if (r != null) {
            r.closeUpstream(ctx.status(), ctx.reason());
          }
        });
    ws.onError(
        ctx -> {
          Relay r = relays.remove(ctx.sessionId());
          if (r != null) {
            r.closeUpstream(1011, "client error");
          }
        });
  }

  private void open(WsContext ctx) {
    if (!(ctx.attribute(UPGRADE_ATTRIBUTE) instanceof Upgrade upgrade)) {
      ctx.closeSession(1011, "upgrade not prepared");
      return;
    }
    Relay relay = new Relay(ctx.session, ctx.sessionId());
    relays.put(ctx.sessionId(), relay);
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    String authorization = ctx.header("Authorization");
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    if (upgrade.traceparent() != null) {
      builder.header("traceparent", upgrade.traceparent());
    }
    upgrade.headers().forEach(builder::header);
    builder
        .buildAsync(upgrade.upstream(), relay)
        .whenComplete(
            (socket, error) -> {
              if (error != null) {
                relays.remove(ctx.sessionId());
                relay.failed(error);
                int refusedWith = handshakeStatus(error);
                if (refusedWith == 429) { // realtime's per-address cap: say so, don't log it
                  metrics.refused(EdgeMetrics.WS_REFUSED);
                  ctx.closeSession(4030, "too many unauthenticated connections; retry later");
                } else if (refusedWith > 0) {
                  metrics.refused(EdgeMetrics.WS_REFUSED);
                  ctx.closeSession(1013, "realtime refused the connection (" + refusedWith + ")");
                } else {
                  log.warn("realtime not reachable at {}: {}", upstream, error.toString());
                  ctx.closeSession(1011, "realtime service unavailable");
                }
              } else {
                relay.connected(socket);
              }
            });
  }

  /** The HTTP status realtime refused the upgrade with, or 0 if it did not answer one. */
  static int handshakeStatus(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.net.http.WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
    }
    return 0;
  }

  /** Whether a close frame may carry {@code code} (RFC 6455 7.4: not 1005, 1006, 1015). */
  static boolean transmittable(int code) {
    return code >= 1000
        && code < 5000
        && code != 1004
        && code != 1005
        && code != 1006
        && code != 1015;
  }

  /** One client connection and its upstream twin. */
  private final class Relay implements WebSocket.Listener {
    private final Session client;
    private final String id;
    private final CompletableFuture<WebSocket> socket = new CompletableFuture<>();
    private final AtomicBoolean refused = new AtomicBoolean();
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    private final StringBuilder partial = new StringBuilder();
    private long pending; // guarded by this

    Relay(Session client, String id) {
      this.client = client;
      this.id = id;
    }

    void connected(WebSocket ws) {
      socket.complete(ws);
    }

    /**
     * Frames are sent one after another: the JDK WebSocket allows one pending send. A frame that
     * would take the waiting bytes past the cap, or past the edge's budget, closes the client.
     */
    synchronized void toUpstream(String text) {
      long bytes = 2L * text.length();
      if (refused.get()) {
        return;
      }
      if (pending + bytes > MAX_PENDING_BYTES) {
        refuse(POLICY_VIOLATION, "too many frames waiting for the realtime service");
        return;
      }
      if (!budget.tryReserve(bytes)) {
        refuse(TRY_AGAIN_LATER, "the edge is busy; try again later");
        return;
      }
      pending += bytes;
      sending =
          sending
              .thenCombine(socket, (x, ws) -> ws)
              .thenCompose(ws -> ws.sendText(text, true))
              .whenComplete((ws, e) -> sent(bytes));
    }

    private synchronized void sent(long bytes) {
      pending -= bytes;
      budget.release(bytes);
    }

    /** Realtime could not be reached: the frames waiting fail, and give their bytes back. */
    void failed(Throwable error) {
      socket.completeExceptionally(error);
    }

    private void refuse(int code, String reason) {
      if (refused.compareAndSet(false, true)) {
        metrics.refused(EdgeMetrics.WS_BACKLOG);
        relays.remove(id);
        client.close(code, reason, Callback.NOOP);
        socket.thenAccept(ws -> ws.abort());
      }
    }

    /**
     * Closes realtime's side after the frames already queued; if realtime has not taken them within
     * {@link #CLOSE_GRACE}, the connection is aborted, which fails them and gives their bytes back.
     */
    synchronized void closeUpstream(int code, String reason) {
      int c = transmittable(code) ? code : 1000;
      sending
          .thenCombine(socket, (x, ws) -> ws)
          .thenCompose(ws -> ws.sendClose(c, reason == null ? "" : reason))
          .exceptionally(e -> null);
      socket.thenAccept(
          ws ->
              CompletableFuture.runAsync(
                  ws::abort,
                  CompletableFuture.delayedExecutor(
                      CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)));
    }

    /**
     * The next frame is read from realtime only once this one is written to the client: a slow
     * browser slows its upstream connection down, so that realtime's per-connection queue limit
     * (close 4008) applies to it rather than the edge's memory.
     */
    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        client.sendText(text, Callback.from(() -> ws.request(1), error -> ws.request(1)));
      } else {
        ws.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      if (client.isOpen() && !refused.get()) {
        if (transmittable(statusCode)) {
          client.close(statusCode, reason, Callback.NOOP);
        } else { // 1006: the connection to realtime was lost, no close frame came
          client.close(1011, "realtime connection lost", Callback.NOOP);
        }
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      if (client.isOpen() && !refused.get()) {
        client.close(1011, "realtime connection failed", Callback.NOOP);
      }
    }
  }
}
