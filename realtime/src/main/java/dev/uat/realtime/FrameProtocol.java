package dev.uat.realtime;

import static dev.uat.realtime.RealtimeAttributes.RECOVERED_COUNT;
import static dev.uat.realtime.RealtimeAttributes.REFUSED;
import static dev.uat.telemetry.UatAttributes.MESSAGING_DESTINATION_TEMPLATE;
import static dev.uat.telemetry.UatAttributes.REALTIME_RECOVERED;
import static dev.uat.telemetry.UatAttributes.USER_ID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.events.Event;
import dev.uat.web.Json;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The client side of the protocol (docs/realtime.md): reads each client frame and answers it —
 * {@code connect}, {@code ping}/{@code pong}, {@code subscribe}, {@code unsubscribe}, {@code
 * presence}, {@code ack}. Called on each connection's own thread (Jetty hands it one frame at a
 * time); may block (credentials, the api, the history).
 */
final class FrameProtocol {
  private static final int MAX_CHANNEL_LENGTH = 128;

  /**
   * The pong every client sends per ping, as clients write it: answered without a JSON parse, which
   * costs ~12 KB of Jackson buffers on a virtual thread (its buffer recycler is per thread).
   */
  private static final String PONG = "{\"type\":\"pong\"}";

  private final RealtimeSettings settings;
  private final Tracer tracer;
  private final HubMetrics metrics;
  private final Credentials credentials;
  private final ConnectionRegistry connections;
  private final Membership membership;
  private final SubscriptionAuthorizer authorizer;

  FrameProtocol(
      RealtimeSettings settings,
      Tracer tracer,
      HubMetrics metrics,
      Credentials credentials,
      ConnectionRegistry connections,
      Membership membership,
      SubscriptionAuthorizer authorizer) {
    this.settings = settings;
    this.tracer = tracer;
    this.metrics = metrics;
    this.credentials = credentials;
    this.connections = connections;
    this.membership = membership;
    this.authorizer = authorizer;
  }

  /** Handles one client frame (called on the connection's thread). */
  void onFrame(Connection c, String text) {
    c.pongDeadlineNanos = 0; // any frame shows the client is alive
    if (!c.allowFrame(System.nanoTime(), settings.maxFramesPerSecond())) {
      metrics.refused("frame_rate");
      c.error(null, "rate_limited", "too many frames; slow down");
      return;
    }
    if (PONG.equals(text)) {
      return; // the most frequent frame (one per connection per ping interval): not parsed
    }
    JsonNode frame;
    try {
      frame = Json.MAPPER.readTree(text);
    } catch (IOException e) {
      frame = null;
    }
    if (frame == null || !frame.isObject()) {
      c.error(null, "invalid_json", "frames are JSON objects");
      return;
    }
    String type = frame.path("type").asText("");
    JsonNode id = frame.get("id");
    switch (type) {
      case "connect" -> {
        if (c.principal != null) {
          c.error(id, "already_connected", "this connection is authenticated already");
        } else {
          authenticate(c, frame.path("token").asText(null), frame.path("ack").asBoolean(false), id);
        }
      }
      case "ping" -> c.reply(id, Map.of("type", "pong"));
      case "pong" -> {}
      case "subscribe", "unsubscribe", "presence", "ack" -> onChannelFrame(c, type, frame, id);
      default -> c.error(id, "unknown_type", "unknown frame type '" + truncate(type) + "'");
    }
  }

  /** A frame about one channel, from an authenticated client. */
  private void onChannelFrame(Connection c, String type, JsonNode frame, JsonNode id) {
    if (c.principal == null) {
      c.error(id, "unauthenticated", "send {\"type\":\"connect\",\"token\":…} first");
      return;
    }
    JsonNode channelNode = frame.get("channel");
    if (channelNode == null
        || !channelNode.isTextual()
        || channelNode.asText().isEmpty()
        || channelNode.asText().length() > MAX_CHANNEL_LENGTH) {
      c.error(id, "invalid_request", "'channel' must be a string of 1 to 128 characters");
      return;
    }
    String channel = channelNode.asText();
    switch (type) {
      case "subscribe" -> subscribe(c, channel, frame.get("since"), id);
      case "unsubscribe" -> {
        Subscription s = c.subscriptions.remove(channel);
        if (s != null) {
          membership.leave(s);
        }
        c.reply(id, Map.of("type", "unsubscribed", "channel", channel));
      }
      case "presence" -> presence(c, channel, id);
      default -> ack(c, channel, frame.get("offset"), id);
    }
  }

  /**
   * Authenticates with an access token or an API key (through {@link Credentials}: a token of an
   * ended session or a revoked key is refused with 4003, an expired one with 4001); on success
   * joins the user's own channel. When the api cannot be asked, the client gets {@code unavailable}
   * and may send {@code connect} again; when the user's channel cannot be joined (Redis does not
   * answer), it gets {@code unavailable} and the connection is closed with 1013.
   */
  boolean authenticate(Connection c, String token, boolean acks, JsonNode id) {
    Span span = tracer.spanBuilder("connect").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      if (!headerSafe(token)) {
        // the hub presents the credential in an Authorization header (to the api, for re-checks
        // and conversations), which cannot carry such characters: refused here for API keys too
        // (TokenVerifier refuses access tokens that are not exactly base64url and dots)
        throw new InvalidTokenException("characters no credential has");
      }
      Principal p = credentials.authenticateCredential(token);
      if (!Instant.now().isBefore(p.expiresAt())) {
        throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "the token expired");
      }
      span.setAttribute(USER_ID, p.userId());
      if (!connections.countUser(p.userId())) {
        metrics.refused("connections_per_user");
        span.setAttribute(REFUSED, "too_many_connections");
        c.error(id, "too_many_connections", "this user has too many open connections");
        c.close(Connection.TOO_MANY_CONNECTIONS, "too many connections");
        return false;
      }
      c.token = token;
      c.acks = acks;
      c.principal = p;
      c.lastPingNanos = System.nanoTime(); // the ping interval counts from here
      connections.authenticatedOrGone(c);
      String channel = "user:" + p.userId();
      History.Recovery joined =
          membership.attach(
              c,
              new Subscription(c, channel),
              null,
              position -> {
                Map<String, Object> ok = positioned("connected", p.userId(), channel, position);
                ok.put("ping_interval", settings.pingInterval().toSeconds());
                ok.put("pong_timeout", settings.pongTimeout().toSeconds());
                return Frames.withId(ok, id);
              });
      if (joined == null) {
        // the client got `unavailable` and no `connected`; authenticated, it could not send
        // `connect` again (`already_connected`): it reconnects instead
        span.setStatus(StatusCode.ERROR, "user channel unavailable");
        c.close(Connection.UNAVAILABLE, "unavailable, try again later");
        return false;
      }
      return true;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      boolean revoked = e.reason() == InvalidTokenException.Reason.REVOKED;
      c.error(id, revoked ? "revoked" : "unauthenticated", "invalid token: " + e.getMessage());
      c.close(
          revoked ? Connection.REVOKED : Connection.UNAUTHENTICATED,
          revoked ? "revoked" : "unauthenticated");
      return false;
    } catch (CredentialsUnavailableException e) {
      span.setStatus(StatusCode.ERROR, "credentials unavailable");
      metrics.credentialsUnavailable.add(1);
      c.error(id, "unavailable", "the credential cannot be checked now; send connect again");
      return false;
    } finally {
      span.end();
    }
  }

  /**
   * The start of a reply that tells the channel's position: {@code type}, {@code user_id} (when not
   * null), {@code channel}, {@code offset}, {@code epoch}.
   */
  private static Map<String, Object> positioned(
      String type, String userId, String channel, History.Position position) {
    Map<String, Object> ok = new LinkedHashMap<>();
    ok.put("type", type);
    if (userId != null) {
      ok.put("user_id", userId);
    }
    ok.put("channel", channel);
    ok.put("offset", position.offset());
    ok.put("epoch", position.epoch());
    return ok;
  }

  private void subscribe(Connection c, String channel, JsonNode since, JsonNode id) {
    String template = Event.template(channel);
    Span span =
        tracer
            .spanBuilder("subscribe " + template)
            .setAttribute(MESSAGING_DESTINATION_TEMPLATE, template)
            .setAttribute(USER_ID, c.principal.userId())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      History.Position from = null;
      if (since != null && !since.isNull()) {
        JsonNode offset = since.get("offset");
        JsonNode epoch = since.get("epoch");
        if (offset == null
            || !offset.canConvertToLong()
            || offset.asLong() < 0
            || epoch == null
            || !epoch.isTextual()
            || epoch.asText().length() > 64) {
          c.error(id, "invalid_request", "'since' must be {\"offset\": n >= 0, \"epoch\": \"…\"}");
          return;
        }
        from = new History.Position(offset.asLong(), epoch.asText());
      }
      if (!c.subscriptions.containsKey(channel)
          && c.subscriptions.size() >= settings.maxSubscriptions()) {
        metrics.refused("subscriptions");
        c.error(id, "too_many_subscriptions", "at most " + settings.maxSubscriptions());
        return;
      }
      Optional<String> refusal = authorizer.refusal(c, channel);
      if (refusal.isPresent()) {
        span.setAttribute(REFUSED, refusal.get());
        c.error(id, refusal.get(), "you may not subscribe to '" + truncate(channel) + "'");
        return;
      }
      History.Position requested = from;
      History.Recovery r =
          membership.attach(
              c,
              new Subscription(c, channel),
              from,
              position -> Frames.withId(positioned("subscribed", null, channel, position), id));
      if (r == null) {
        span.setStatus(StatusCode.ERROR, "history unavailable");
        return;
      }
      if (requested != null) {
        span.setAttribute(REALTIME_RECOVERED, r.recovered());
        span.setAttribute(RECOVERED_COUNT, (long) r.events().size());
        metrics.recoveries.add(1, Attributes.of(REALTIME_RECOVERED, r.recovered()));
      }
    } finally {
      span.end();
    }
  }

  private void presence(Connection c, String channel, JsonNode id) {
    if (!c.subscriptions.containsKey(channel)) {
      c.error(id, "not_subscribed", "subscribe to '" + truncate(channel) + "' first");
      return;
    }
    List<Map<String, Object>> list = new ArrayList<>();
    int total = 0;
    for (Map.Entry<String, Integer> u : membership.users(channel).entrySet()) {
      Map<String, Object> user = new LinkedHashMap<>();
      user.put("user_id", u.getKey());
      user.put("connections", u.getValue());
      list.add(user);
      total += u.getValue();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "presence");
    body.put("channel", channel);
    body.put("connections", total);
    body.put("users", list);
    c.reply(id, body);
  }

  private void ack(Connection c, String channel, JsonNode offset, JsonNode id) {
    if (offset == null || !offset.canConvertToLong() || offset.asLong() < 0) {
      c.error(id, "invalid_request", "'offset' must be a whole number");
      return;
    }
    Subscription s = c.subscriptions.get(channel);
    if (s != null) {
      s.acked(offset.asLong(), System.nanoTime());
    }
  }

  /**
   * Whether {@code credential} (absent: the credentials decide) has only visible ASCII characters,
   * as every access token (base64url and dots) and API key does, and an HTTP header can carry.
   */
  static boolean headerSafe(String credential) {
    if (credential == null) {
      return true;
    }
    for (int i = 0; i < credential.length(); i++) {
      char ch = credential.charAt(i);
      if (ch <= 0x20 || ch >= 0x7F) {
        return false;
      }
    }
    return true;
  }

  private static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
