package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.ApiKeyFormat;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.EventBus;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import dev.uat.web.WsClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A realtime service for a test: a fake api on a real HTTP server (conversations whose id starts
 * with {@code mine} belong to the caller; nothing else does; {@code GET /api/auth/introspect}
 * answers like the api's: a token's session is live unless {@link #endSession ended}, an API key
 * live while {@link #keys listed}), in-memory telemetry, and its bus.
 */
final class Rig implements AutoCloseable {
  static final JwtKeys KEYS = JwtKeys.ephemeral();
  static final TokenIssuer ISSUER = new TokenIssuer(KEYS);

  final MockWebServer api = new MockWebServer();

  /** Sessions the fake api has ended. */
  final Set<String> ended = ConcurrentHashMap.newKeySet();

  /** API keys the fake api knows: secret to principal. */
  final Map<String, Principal> keys = new ConcurrentHashMap<>();

  /** When set, the fake api's introspection answers 503. */
  volatile boolean introspectionDown;

  final TestTelemetry otel;
  final RealtimeEvents events;
  final EventBus bus;
  final Realtime realtime;
  final String ws;

  Rig(UnaryOperator<RealtimeSettingsBuilder> settings) throws Exception {
    this(settings, RealtimeEvents.inProcess(), "uat-realtime");
  }

  Rig(UnaryOperator<RealtimeSettingsBuilder> settings, RealtimeEvents events, String service)
      throws Exception {
    api.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getTarget().equals("/api/auth/introspect")) {
              return introspect(request.getHeaders().get("Authorization"));
            }
            boolean mine = request.getTarget().startsWith("/api/conversations/mine");
            return new MockResponse.Builder().code(mine ? 204 : 404).build();
          }
        });
    api.start();
    otel = new TestTelemetry(service);
    this.events = events;
    this.bus = events.bus();
    RealtimeSettings s =
        settings
            .apply(
                RealtimeSettings.defaults(api.url("/").toString()).toBuilder()
                    .port(0)
                    .authTimeout(Duration.ofSeconds(5)))
            .build();
    realtime =
        Realtime.start(s, otel.telemetry(), events, TokenVerifier.local(KEYS, Realtime.AUDIENCE));
    ws = "ws://127.0.0.1:" + realtime.port() + "/ws";
  }

  private static final TokenVerifier API_VERIFIER = TokenVerifier.local(KEYS);

  private MockResponse introspect(String authorization) {
    if (introspectionDown) {
      return new MockResponse.Builder().code(503).build();
    }
    String credential = TokenVerifier.bearer(authorization);
    Principal p;
    if (ApiKeyFormat.looksLikeKey(credential)) {
      p = keys.get(credential);
    } else {
      try {
        p = API_VERIFIER.verifyAccess(credential);
      } catch (InvalidTokenException e) {
        p = null;
      }
      if (p != null && ended.contains(p.sessionId())) {
        p = null;
      }
    }
    if (p == null) {
      return new MockResponse.Builder().code(401).build();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("active", true);
    body.put("kind", p.isApiKey() ? "api_key" : "access_token");
    body.put("user_id", p.userId());
    body.put("scopes", p.scopes());
    body.put("key_id", p.isApiKey() ? p.tokenId() : null);
    body.put("session_id", p.sessionId());
    body.put(
        "expires_at",
        p.expiresAt().equals(java.time.Instant.MAX) ? null : p.expiresAt().getEpochSecond());
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/json")
        .body(Json.writeString(body))
        .build();
  }

  /** The api ends {@code sessionId} and, when {@code announce}, says so on the bus. */
  void endSession(String sessionId, boolean announce) {
    ended.add(sessionId);
    if (announce) {
      bus.publish(Revocation.session(sessionId).toEvent());
    }
  }

  /** An access token of login session {@code sessionId}. */
  static String token(String user, String sessionId) {
    return ISSUER.access(user, Set.of("chat"), sessionId).value();
  }

  /** A client that authenticated with {@code credential} (a token or a key). */
  WsClient connectedWith(String credential) throws Exception {
    WsClient c = WsClient.open(ws);
    c.send("{\"type\":\"connect\",\"token\":\"" + credential + "\"}");
    JsonNode reply = c.next();
    assertThat(reply.get("type").asText()).as(reply.toString()).isEqualTo("connected");
    return c;
  }

  static String token(String user) {
    return ISSUER.access(user, Set.of("chat")).value();
  }

  EventPublisher publisher() {
    return new EventPublisher(bus, otel.telemetry());
  }

  /** A client that sent {@code connect} and got {@code connected}. */
  WsClient connected(String user) throws Exception {
    return connected(user, false);
  }

  WsClient connected(String user, boolean acks) throws Exception {
    WsClient c = WsClient.open(ws);
    c.send("{\"type\":\"connect\",\"token\":\"" + token(user) + "\",\"ack\":" + acks + "}");
    JsonNode reply = c.next();
    assertThat(reply.get("type").asText()).as(reply.toString()).isEqualTo("connected");
    return c;
  }

  /** Subscribes and returns the {@code subscribed} reply. */
  static JsonNode subscribe(WsClient c, String channel) throws Exception {
    c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
    JsonNode ok = c.next();
    assertThat(ok.get("type").asText()).as(ok.toString()).isEqualTo("subscribed");
    return ok;
  }

  /** A subscribe frame for {@code channel} that recovers from after {@code seen} (an event). */
  static String since(String channel, JsonNode seen) {
    return since(channel, seen.get("offset").asLong(), seen.get("epoch").asText());
  }

  /** A subscribe frame for {@code channel} that recovers from after {@code offset}. */
  static String since(String channel, long offset, String epoch) {
    return "{\"type\":\"subscribe\",\"channel\":\""
        + channel
        + "\",\"since\":{\"offset\":"
        + offset
        + ",\"epoch\":\""
        + epoch
        + "\"}}";
  }

  /** A client of {@code user}, connected and subscribed to {@code channel}. */
  WsClient subscribed(String user, String channel) throws Exception {
    WsClient c = connected(user);
    subscribe(c, channel);
    return c;
  }

  @Override
  public void close() throws Exception {
    realtime.close();
    otel.close();
    api.close();
    events.close();
  }
}
