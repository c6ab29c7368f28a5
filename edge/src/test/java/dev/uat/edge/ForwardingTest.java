package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.web.Exposure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The forwarding headers the edge sends upstream, over HTTP and on the WebSocket upgrade, from a
 * peer it trusts as a proxy and from one it does not. The tests' peer is always 127.0.0.1: the
 * default {@link Exposure#LOOPBACK} trusts it, an exposure that trusts only 10.0.0.0/8 does not.
 */
@Timeout(30)
class ForwardingTest {
  private static final Exposure TRUSTS_ONLY_10 =
      Exposure.of("10.0.0.0/8", Exposure.LOOPBACK_BLOCKS);

  private static HttpRequest spoofed(Rig rig) {
    return HttpRequest.newBuilder(rig.uri("/api/me"))
        .header("X-Forwarded-For", "203.0.113.7")
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "chat.example")
        .header("Forwarded", "for=203.0.113.7;proto=https")
        .header("X-Real-IP", "203.0.113.7")
        .build();
  }

  @Test
  void aClientsOwnForwardingHeadersAreDroppedAndThePeerIsTheClient() throws Exception {
    try (Rig rig = new Rig(s -> s.exposure(TRUSTS_ONLY_10))) {
      assertThat(rig.send(spoofed(rig)).statusCode()).isEqualTo(200);
      RecordedRequest forwarded = rig.api.takeRequest();
      assertThat(forwarded.getHeaders().values("X-Forwarded-For")).containsExactly("127.0.0.1");
      assertThat(forwarded.getHeaders().get("X-Forwarded-Proto")).isEqualTo("http");
      assertThat(forwarded.getHeaders().get("X-Forwarded-Host"))
          .isEqualTo("127.0.0.1:" + rig.edge.port());
      assertThat(forwarded.getHeaders().get("Forwarded")).isNull();
      assertThat(forwarded.getHeaders().get("X-Real-IP")).isNull();
    }
  }

  @Test
  void aTrustedProxysForwardingHeadersAreKeptWithThePeerAppended() throws Exception {
    try (Rig rig = new Rig(s -> s)) { // Exposure.LOOPBACK: the peer 127.0.0.1 is a trusted proxy
      assertThat(rig.send(spoofed(rig)).statusCode()).isEqualTo(200);
      RecordedRequest forwarded = rig.api.takeRequest();
      assertThat(forwarded.getHeaders().values("X-Forwarded-For"))
          .containsExactly("203.0.113.7, 127.0.0.1");
      assertThat(forwarded.getHeaders().get("X-Forwarded-Proto")).isEqualTo("https");
      assertThat(forwarded.getHeaders().get("X-Forwarded-Host")).isEqualTo("chat.example");
      assertThat(forwarded.getHeaders().get("Forwarded")).isEqualTo("for=203.0.113.7;proto=https");
      assertThat(forwarded.getHeaders().get("X-Real-IP")).isEqualTo("203.0.113.7");
    }
  }

  @Test
  void aBodyGoesOnWithADeleteAndIsRefusedOnAGet() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      var delete =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/keys/k1"))
                  .header("Content-Type", "application/json")
                  .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"why\":\"lost\"}"))
                  .build());
      assertThat(delete.statusCode()).isEqualTo(200);
      RecordedRequest forwarded = rig.api.takeRequest();
      assertThat(forwarded.getMethod()).isEqualTo("DELETE");
      assertThat(forwarded.getBody().utf8()).isEqualTo("{\"why\":\"lost\"}");
      assertThat(forwarded.getHeaders().get("Content-Type")).isEqualTo("application/json");

      var get =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/me"))
                  .method("GET", HttpRequest.BodyPublishers.ofString("{}"))
                  .build());
      assertThat(get.statusCode()).isEqualTo(400);
      assertThat(Rig.errorCode(get.body())).isEqualTo("body_not_allowed");
      assertThat(rig.api.getRequestCount()).isEqualTo(1);
    }
  }

  @Test
  void routerRequestsGetTheSameForwardedFor() throws Exception {
    try (Rig rig = new Rig(s -> s.exposure(TRUSTS_ONLY_10))) {
      rig.send(
          HttpRequest.newBuilder(rig.uri("/v1/models"))
              .header("X-Forwarded-For", "203.0.113.7")
              .build());
      assertThat(rig.router.takeRequest().getHeaders().values("X-Forwarded-For"))
          .containsExactly("127.0.0.1");
    }
  }

  @Test
  void theWebSocketRelayCarriesTheSameForwardedForToRealtime() throws Exception {
    try (Rig untrusting = new Rig(s -> s.exposure(TRUSTS_ONLY_10))) {
      assertThat(upgradeWithSpoofedHeaders(untrusting))
          .containsEntry("X-Forwarded-For", "127.0.0.1")
          .containsEntry("X-Forwarded-Proto", "http")
          .containsEntry("Forwarded", "null");
    }
    try (Rig trusting = new Rig(s -> s)) {
      assertThat(upgradeWithSpoofedHeaders(trusting))
          .containsEntry("X-Forwarded-For", "203.0.113.7, 127.0.0.1")
          .containsEntry("X-Forwarded-Proto", "https")
          .containsEntry("Forwarded", "for=203.0.113.7");
    }
  }

  private static Map<String, String> upgradeWithSpoofedHeaders(Rig rig) throws Exception {
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .header("X-Forwarded-For", "203.0.113.7")
            .header("X-Forwarded-Proto", "https")
            .header("Forwarded", "for=203.0.113.7")
            .buildAsync(URI.create(rig.ws("/ws")), new WebSocket.Listener() {})
            .get(10, TimeUnit.SECONDS);
    try {
      Map<String, String> upgrade = rig.upgrades.poll(10, TimeUnit.SECONDS);
      assertThat(upgrade).isNotNull();
      return upgrade;
    } finally {
      ws.abort();
    }
  }
}
