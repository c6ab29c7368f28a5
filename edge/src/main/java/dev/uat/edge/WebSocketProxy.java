package dev.uat.edge;

import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays WebSocket text frames between browsers and the realtime service, one upstream connection
 * per client connection, closes propagated both ways. The upgrade to realtime carries the {@code
 * traceparent} of the edge's {@code GET /ws} span and the client's {@code Authorization} header, if
 * any.
 */
final class WebSocketProxy {
  private static final Logger log = LoggerFactory.getLogger(WebSocketProxy.class);
  static final String TRACEPARENT_ATTRIBUTE = "uat.ws.traceparent";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI upstream;
  private final Map<String, Relay> relays = new ConcurrentHashMap<>();

  WebSocketProxy(String realtimeUrl) {
    String base = realtimeUrl.replaceFirst("^http", "ws");
    this.upstream =
        URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/ws");
  }

  /** Remembers the upgrade's trace context; runs as the upgrade's before-handler. */
  static String traceparent() {
    SpanContext c = Span.current().getSpanContext();
    return c.isValid()
        ? "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex()
        : null;
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
    Relay relay = new Relay(ctx.session);
    relays.put(ctx.sessionId(), relay);
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    String authorization = ctx.header("Authorization");
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    Object traceparent = ctx.attribute(TRACEPARENT_ATTRIBUTE);
    if (traceparent instanceof String tp) {
      builder.header("traceparent", tp);
    }
    builder
        .buildAsync(upstream, relay)
        .whenComplete(
            (socket, error) -> {
              if (error != null) {
                log.warn("realtime not reachable at {}: {}", upstream, error.toString());
                relays.remove(ctx.sessionId());
                ctx.closeSession(1011, "realtime service unavailable");
              } else {
                relay.connected(socket);
              }
            });
  }

  /** One client connection and its upstream twin. */
  private static final class Relay implements WebSocket.Listener {
    private final Session client;
    private final CompletableFuture<WebSocket> socket = new CompletableFuture<>();
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    private final StringBuilder partial = new StringBuilder();

    Relay(Session client) {
      this.client = client;
    }

    void connected(WebSocket ws) {
      socket.complete(ws);
    }

    /** Frames are sent one after another: the JDK WebSocket allows one pending send. */
    synchronized void toUpstream(String text) {
      sending =
          sending.thenCombine(socket, (x, ws) -> ws).thenCompose(ws -> ws.sendText(text, true));
    }

    synchronized void closeUpstream(int code, String reason) {
      int c = code >= 1000 && code < 5000 && code != 1005 && code != 1006 ? code : 1000;
      sending
          .thenCombine(socket, (x, ws) -> ws)
          .thenCompose(ws -> ws.sendClose(c, reason == null ? "" : reason))
          .exceptionally(e -> null);
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
      if (client.isOpen()) {
        client.close(statusCode, reason, Callback.NOOP);
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      if (client.isOpen()) {
        client.close(1011, "realtime connection failed", Callback.NOOP);
      }
    }
  }
}
