package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.EventBus;
import dev.uat.events.EventPublisher;
import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.WsClient;
import java.time.Duration;
import java.util.Set;
import java.util.function.UnaryOperator;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A realtime service for a test: a fake api (conversations whose id starts with {@code mine} belong
 * to the caller; nothing else does), in-memory telemetry, and its bus.
 */
final class Rig implements AutoCloseable {
  static final JwtKeys KEYS = JwtKeys.ephemeral();
  static final TokenIssuer ISSUER = new TokenIssuer(KEYS);

  final MockWebServer api = new MockWebServer();
  final TestTelemetry otel;
  final EventBus bus;
  final Realtime realtime;
  final String ws;

  Rig(UnaryOperator<RealtimeSettings.Builder> settings) throws Exception {
    this(settings, new InProcessEventBus(), "uat-realtime");
  }

  Rig(UnaryOperator<RealtimeSettings.Builder> settings, EventBus bus, String service)
      throws Exception {
    api.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            boolean mine = request.getTarget().startsWith("/api/conversations/mine");
            return new MockResponse.Builder().code(mine ? 204 : 404).build();
          }
        });
    api.start();
    otel = new TestTelemetry(service);
    this.bus = bus;
    RealtimeSettings s =
        settings
            .apply(
                RealtimeSettings.defaults(api.url("/").toString()).toBuilder()
                    .port(0)
                    .authTimeout(Duration.ofSeconds(5)))
            .build();
    realtime =
        Realtime.start(s, otel.telemetry(), bus, TokenVerifier.local(KEYS, Realtime.AUDIENCE));
    ws = "ws://127.0.0.1:" + realtime.port() + "/ws";
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

  @Override
  public void close() throws Exception {
    realtime.close();
    otel.close();
    api.close();
    bus.close();
  }
}
