package dev.uat.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.Event;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections, their channels, and delivery. One instance per realtime service.
 *
 * <p>Protocol (JSON text frames; see docs/realtime.md): the client authenticates with {@code
 * {"type":"connect","token":…}} (or an {@code Authorization} header on the upgrade), then {@code
 * subscribe}s to channels. Events arrive as {@code {"type":"event","channel","event","data",
 * "traceparent","ts"}}. Each event is serialized once, whatever the number of recipients, and sent
 * without blocking the publisher.
 */
final class Hub {
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION_NAME =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> DESTINATION_TEMPLATE =
      AttributeKey.stringKey("messaging.destination.template");
  static final AttributeKey<Long> RECIPIENTS = AttributeKey.longKey("uat.realtime.recipients");
  static final AttributeKey<String> EVENT_NAME = AttributeKey.stringKey("uat.event.name");
  static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");

  /** Close codes (4000-4999 are the application's). */
  static final int CLOSE_UNAUTHENTICATED = 4001;

  static final int CLOSE_BAD_FRAME = 4002;

  @SuppressWarnings("deprecation") // keys(): required by the interface, unused by W3C extraction
  private static final TextMapGetter<String> TRACEPARENT =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
          return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
          return "traceparent".equals(key) ? carrier : null;
        }
      };

  /** One WebSocket connection. */
  static final class Connection {
    final String id;
    final Session session;
    volatile Principal principal;
    volatile String token;
    final Set<String> channels = ConcurrentHashMap.newKeySet();

    Connection(String id, Session session) {
      this.id = id;
      this.session = session;
    }

    void send(String frame) {
      session.sendText(frame, Callback.NOOP);
    }
  }

  private final String system;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final TokenVerifier verifier;
  private final HttpClient http;
  private final String apiUrl;
  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final Map<String, Set<Connection>> channels = new ConcurrentHashMap<>();
  private final LongUpDownCounter active;
  private final LongCounter sent;

  Hub(Telemetry telemetry, TokenVerifier verifier, String apiUrl, String messagingSystem) {
    this.system = messagingSystem;
    this.tracer = telemetry.tracer();
    this.propagator = telemetry.propagators().getTextMapPropagator();
    this.verifier = verifier;
    this.http = TracedHttpClient.create(telemetry);
    this.apiUrl = apiUrl.endsWith("/") ? apiUrl.substring(0, apiUrl.length() - 1) : apiUrl;
    this.active =
        telemetry
            .meter()
            .upDownCounterBuilder("uat.realtime.connections.active")
            .setUnit("{connection}")
            .setDescription("Open WebSocket connections.")
            .build();
    this.sent =
        telemetry
            .meter()
            .counterBuilder("uat.realtime.messages.sent")
            .setUnit("{message}")
            .setDescription("Event frames sent to clients.")
            .build();
  }

  Connection opened(String id, Session session) {
    Connection c = new Connection(id, session);
    connections.put(id, c);
    active.add(1);
    return c;
  }

  Connection connection(String id) {
    return connections.get(id);
  }

  void closed(String id) {
    Connection c = connections.remove(id);
    if (c == null) {
      return;
    }
    active.add(-1);
    for (String channel : c.channels) {
      leave(c, channel);
    }
  }

  int connectionCount() {
    return connections.size();
  }

  /** Handles one client frame. */
  void onFrame(Connection c, String text) {
    JsonNode frame;
    try {
      frame = Json.MAPPER.readTree(text);
    } catch (IOException e) {
      error(c, null, "invalid_json", "frames are JSON objects");
      return;
    }
    if (frame == null || !frame.isObject()) {
      error(c, null, "invalid_json", "frames are JSON objects");
      return;
    }
    String type = frame.path("type").asText("");
    JsonNode id = frame.get("id");
    switch (type) {
      case "connect" -> authenticate(c, frame.path("token").asText(null), id);
      case "ping" -> reply(c, id, Map.of("type", "pong"));
      case "subscribe", "unsubscribe" -> {
        if (c.principal == null) {
          error(c, id, "unauthenticated", "send {\"type\":\"connect\",\"token\":…} first");
          return;
        }
        String channel = frame.path("channel").asText("");
        if (type.equals("subscribe")) {
          subscribe(c, channel, id);
        } else {
          leave(c, channel);
          c.channels.remove(channel);
          reply(c, id, Map.of("type", "unsubscribed", "channel", channel));
        }
      }
      default -> error(c, id, "unknown_type", "unknown frame type '" + truncate(type) + "'");
    }
  }

  /** Authenticates with an access token; on success joins the user's own channel. */
  boolean authenticate(Connection c, String token, JsonNode id) {
    Span span = tracer.spanBuilder("connect").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      Principal p = verifier.verifyAccess(token);
      c.principal = p;
      c.token = token;
      span.setAttribute(USER_ID, p.userId());
      join(c, "user:" + p.userId());
      reply(c, id, Map.of("type", "connected", "user_id", p.userId()));
      return true;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      error(c, id, "unauthenticated", "invalid token: " + e.getMessage());
      c.session.close(CLOSE_UNAUTHENTICATED, "unauthenticated", Callback.NOOP);
      return false;
    } finally {
      span.end();
    }
  }

  private void subscribe(Connection c, String channel, JsonNode id) {
    String template = Event.template(channel);
    Span span =
        tracer
            .spanBuilder("subscribe " + template)
            .setAttribute(DESTINATION_TEMPLATE, template)
            .setAttribute(USER_ID, c.principal.userId())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      String refusal = authorize(c, channel);
      if (refusal != null) {
        span.setAttribute("uat.realtime.refused", refusal);
        error(c, id, refusal, "you may not subscribe to '" + truncate(channel) + "'");
        return;
      }
      join(c, channel);
      Map<String, Object> ok = new LinkedHashMap<>();
      ok.put("type", "subscribed");
      ok.put("channel", channel);
      reply(c, id, ok);
    } finally {
      span.end();
    }
  }

  /** Null when allowed, else an error code. */
  private String authorize(Connection c, String channel) {
    if (channel.equals("user:" + c.principal.userId())) {
      return null;
    }
    if (channel.startsWith("conversation:") && channel.length() > 13 && channel.length() <= 64) {
      String conversation = channel.substring(13);
      try {
        HttpRequest request =
            HttpRequest.newBuilder(
                    URI.create(
                        apiUrl
                            + "/api/conversations/"
                            + URLEncoder.encode(conversation, StandardCharsets.UTF_8)))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + c.token)
                .timeout(Duration.ofSeconds(5))
                .build();
        int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        return switch (status) {
          case 204, 200 -> null;
          case 401 -> "unauthenticated";
          default -> "forbidden";
        };
      } catch (IOException e) {
        log.warn("cannot ask the api about {}: {}", channel, e.toString());
        return "unavailable";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "unavailable";
      }
    }
    return "forbidden";
  }

  private void join(Connection c, String channel) {
    c.channels.add(channel);
    channels.computeIfAbsent(channel, k -> ConcurrentHashMap.newKeySet()).add(c);
  }

  private void leave(Connection c, String channel) {
    channels.computeIfPresent(
        channel,
        (k, members) -> {
          members.remove(c);
          return members.isEmpty() ? null : members;
        });
  }

  /**
   * Delivers an event to every subscriber of its channel: one CONSUMER span {@code process <channel
   * template>} per event, child of the publisher's PRODUCER span, and one serialization.
   */
  void deliver(Event event) {
    Set<Connection> members = channels.get(event.channel());
    int recipients = members == null ? 0 : members.size();
    String template = Event.template(event.channel());
    Context parent =
        event.traceparent() == null
            ? Context.root()
            : propagator.extract(Context.root(), event.traceparent(), TRACEPARENT);
    Span span =
        tracer
            .spanBuilder("process " + template)
            .setParent(parent)
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute(SYSTEM, system)
            .setAttribute(OPERATION_TYPE, "process")
            .setAttribute(OPERATION_NAME, "process")
            .setAttribute(DESTINATION_NAME, event.channel())
            .setAttribute(DESTINATION_TEMPLATE, template)
            .setAttribute(EVENT_NAME, event.event())
            .setAttribute(RECIPIENTS, (long) recipients)
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      if (recipients == 0) {
        return;
      }
      Map<String, Object> frame = new LinkedHashMap<>();
      frame.put("type", "event");
      frame.put("channel", event.channel());
      frame.put("event", event.event());
      frame.put("data", event.data());
      frame.put("traceparent", event.traceparent());
      frame.put("ts", event.timestampMillis());
      String text = Json.writeString(frame);
      for (Connection c : members) {
        c.send(text);
      }
      sent.add(recipients);
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      log.warn("delivery of {} to {} failed", event.event(), event.channel(), e);
    } finally {
      span.end();
    }
  }

  private static void reply(Connection c, JsonNode id, Map<String, Object> body) {
    if (id != null && !id.isNull()) {
      Map<String, Object> withId = new LinkedHashMap<>(body);
      withId.put("id", id);
      body = withId;
    }
    c.send(Json.writeString(body));
  }

  static void error(Connection c, JsonNode id, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "error");
    body.put("code", code);
    body.put("message", message);
    reply(c, id, body);
  }

  private static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
