package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Closer;
import dev.uat.web.WsClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorization follows revocation in every component, through the real edge: after a logout, a
 * password change or a key revocation, the api, the router ({@code /v1}) and realtime (an open
 * WebSocket) refuse the credential — at once in the all-in-one (the revocation travels on the
 * in-process bus), within seconds when the components are started alone and only the api hears it
 * (they re-check every {@code Credentials.RECHECK}).
 */
@Timeout(120)
class RevocationTest {
  @TempDir Path data;

  @Test
  void allInOneEndsAccessEverywhereAtOnce() throws Exception {
    Map<String, String> flags = TestSettings.allInOne(data);
    try (Platform p = Platform.up(Config.load(null, Map.of(), flags))) {
      ChatTrace edge = new ChatTrace(p.edge().url(), p.observatory().queryUrl());
      assertRevocationsEndAccess(edge, p.edge().url(), Duration.ofSeconds(2));
    }
  }

  @Test
  void separatelyStartedComponentsEndAccessWithinTheRecheckPeriod() throws Exception {
    Map<String, String> flags = TestSettings.separate(data);
    Config config = Config.load(null, Map.of(), flags);
    Closer open = new Closer();
    try {
      String observatory = Uat.Serve.start(Wiring.Component.OBSERVATORY, config, open).url();
      Uat.Serve.start(Wiring.Component.ROUTER, config, open).url();
      Uat.Serve.start(Wiring.Component.API, config, open).url();
      Uat.Serve.start(Wiring.Component.REALTIME, config, open).url();
      String edgeUrl = Uat.Serve.start(Wiring.Component.EDGE, config, open).url();
      // the api posts events (revocations too) to realtime; the router hears none and re-checks
      assertRevocationsEndAccess(
          new ChatTrace(edgeUrl, observatory), edgeUrl, Duration.ofSeconds(8));
    } finally {
      open.close();
    }
  }

  private static void assertRevocationsEndAccess(ChatTrace edge, String edgeUrl, Duration within)
      throws Exception {
    String login = "{\"email\":\"rev@example.com\",\"password\":\"a long password\"}";
    edge.call("POST", "/api/auth/register", null, login);
    String first = token(edge.call("POST", "/api/auth/login", null, login));
    String second = token(edge.call("POST", "/api/auth/login", null, login));
    String key =
        ChatTrace.json(
                edge.call("POST", "/api/keys", second, "{\"name\":\"ci\",\"scopes\":[\"chat\"]}"))
            .get("key")
            .asText();
    String keyId =
        ChatTrace.json(edge.call("GET", "/api/keys", second, null)).at("/data/0/id").asText();

    // every component accepts all three, and has cached that answer
    for (String credential : new String[] {first, second, key}) {
      assertThat(edge.call("GET", "/v1/models", credential, null).statusCode()).isEqualTo(200);
      assertThat(edge.call("GET", "/api/me", credential, null).statusCode()).isEqualTo(200);
    }
    String ws = edgeUrl.replaceFirst("^http", "ws") + "/ws";
    try (WsClient socket = WsClient.open(ws)) {
      socket.send("{\"type\":\"connect\",\"token\":\"" + first + "\"}");
      assertThat(socket.next("connected").get("user_id").asText()).isNotEmpty();

      // 1. logout of the first session
      long loggedOut = System.nanoTime();
      assertThat(edge.call("POST", "/api/auth/logout", first, null).statusCode()).isEqualTo(204);
      assertThat(edge.call("GET", "/api/me", first, null).statusCode()).isEqualTo(401);
      await()
          .atMost(within)
          .until(() -> edge.call("GET", "/v1/models", first, null).statusCode() == 401);
      assertThat(socket.closeCode()).as("the WebSocket's close code").isEqualTo(4003);
      assertThat(Duration.ofNanos(System.nanoTime() - loggedOut))
          .as("the WebSocket closed after the logout within")
          .isLessThan(within.plusSeconds(2));
      assertThat(edge.call("GET", "/v1/models", second, null).statusCode())
          .as("another session of the same account is untouched")
          .isEqualTo(200);
    }

    // 2. the key revoked
    assertThat(edge.call("DELETE", "/api/keys/" + keyId, second, null).statusCode()).isEqualTo(204);
    assertThat(edge.call("GET", "/api/me", key, null).statusCode()).isEqualTo(401);
    await()
        .atMost(within)
        .until(() -> edge.call("GET", "/v1/models", key, null).statusCode() == 401);

    // 3. a password change ends every session
    var changed =
        edge.call(
            "POST",
            "/api/me/password",
            second,
            "{\"current_password\":\"a long password\",\"new_password\":\"another long one\"}");
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(edge.call("GET", "/api/me", second, null).statusCode()).isEqualTo(401);
    await()
        .atMost(within)
        .until(() -> edge.call("GET", "/v1/models", second, null).statusCode() == 401);
    String fresh = ChatTrace.json(changed).get("access_token").asText();
    assertThat(edge.call("GET", "/v1/models", fresh, null).statusCode()).isEqualTo(200);
  }

  private static String token(java.net.http.HttpResponse<String> r) throws Exception {
    JsonNode body = ChatTrace.json(r);
    return body.get("access_token").asText();
  }
}
