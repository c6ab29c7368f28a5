package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.ApiKeyFormat;
import dev.uat.auth.Credentials;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenIssuer;
import dev.uat.web.WsClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Authorization follows revocation: open sockets close when their credential stops being valid. */
@Timeout(60)
class RevocationTest {
  @Test
  void subscriberWhoseSessionIsRevokedIsClosedWithinASecondOfTheRevocation() throws Exception {
    try (Rig rig = new Rig(s -> s);
        WsClient ended = rig.connectedWith(Rig.token("u1", "s-ended"));
        WsClient other = rig.connectedWith(Rig.token("u1", "s-other"))) {
      Rig.subscribe(ended, "conversation:mine-r");
      Rig.subscribe(other, "conversation:mine-r");

      long start = System.nanoTime();
      rig.endSession("s-ended", true);
      JsonNode error = ended.next("error");
      assertThat(error.get("code").asText()).isEqualTo("revoked");
      assertThat(ended.closeCode()).isEqualTo(Connection.REVOKED);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

      rig.publisher().publish("conversation:mine-r", "message.created", Map.of("n", 1));
      assertThat(other.next("event").at("/data/n").asInt())
          .as("the user's other session is untouched")
          .isEqualTo(1);
      assertThat(Metrics.scrape(rig.realtime))
          .contains("uat_realtime_credentials_closed_total{uat_realtime_reason=\"revoked\"} 1")
          .contains("uat_realtime_disconnects_total{uat_realtime_close_code=\"4003\"} 1");
      // and the ended session cannot come back
      try (WsClient again = WsClient.open(rig.ws)) {
        again.send("{\"type\":\"connect\",\"token\":\"" + Rig.token("u1", "s-ended") + "\"}");
        assertThat(again.next().get("code").asText()).isEqualTo("revoked");
        assertThat(again.closeCode()).isEqualTo(Connection.REVOKED);
      }
    }
  }

  @Test
  void logoutEverywhereClosesEveryConnectionOfTheUserAndARevokedKeyItsOwn() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      String secret = ApiKeyFormat.newSecret();
      rig.keys.put(secret, Principal.apiKey("k-1", "u3", Set.of("chat"), Instant.MAX));
      try (WsClient a = rig.connectedWith(Rig.token("u2", "s-a"));
          WsClient b = rig.connectedWith(Rig.token("u2", "s-b"));
          WsClient key = rig.connectedWith(secret);
          WsClient bystander = rig.connectedWith(Rig.token("u3", "s-c"))) {
        rig.ended.addAll(Set.of("s-a", "s-b"));
        rig.bus.publish(Revocation.user("u2").toEvent());
        assertThat(a.closeCode()).isEqualTo(Connection.REVOKED);
        assertThat(b.closeCode()).isEqualTo(Connection.REVOKED);

        rig.keys.clear();
        rig.bus.publish(Revocation.key("k-1").toEvent());
        assertThat(key.closeCode()).isEqualTo(Connection.REVOKED);

        bystander.send("{\"type\":\"ping\"}");
        assertThat(bystander.next("pong")).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.realtime.connections() == 1);
      }
    }
  }

  @Test
  void endedSessionIsNoticedByTheRecheckWithoutAnySignal() throws Exception {
    try (Rig rig = new Rig(s -> s.credentialRecheck(Duration.ofMillis(200)));
        WsClient c = rig.connectedWith(Rig.token("u4", "s-quiet"))) {
      long start = System.nanoTime();
      rig.endSession("s-quiet", false); // no bus: the api's answer is re-read after RECHECK
      assertThat(c.closeCode()).isEqualTo(Connection.REVOKED);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(Credentials.RECHECK.plusSeconds(2));
    }
  }

  @Test
  void tokenThatExpiresClosesTheSocketAtItsExpiry() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      // a token issued 15 min minus 2 s ago: it expires in 1 to 2 s
      Clock past =
          Clock.offset(Clock.systemUTC(), TokenIssuer.ACCESS_TTL.minusSeconds(2).negated());
      TokenIssuer.Token token =
          new TokenIssuer(Rig.KEYS, past).access("u5", Set.of("chat"), "s-short");
      WsClient c = rig.connectedWith(token.value());
      assertThat(c.next("error").get("message").asText()).contains("expired");
      assertThat(c.closeCode()).isEqualTo(Connection.UNAUTHENTICATED);
      // the token's exp claim is in whole seconds
      Instant exp = token.expiresAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      assertThat(Instant.now()).isAfterOrEqualTo(exp);
      assertThat(Instant.now()).isBefore(exp.plusSeconds(3));
      c.close();
      assertThat(Metrics.scrape(rig.realtime))
          .contains("uat_realtime_credentials_closed_total{uat_realtime_reason=\"expired\"} 1");

      // an expired one (within the verifier's clock skew) is refused at connect
      try (WsClient late = WsClient.open(rig.ws)) {
        late.send("{\"type\":\"connect\",\"token\":\"" + token.value() + "\"}");
        assertThat(late.next().get("code").asText()).isEqualTo("unauthenticated");
        assertThat(late.closeCode()).isEqualTo(Connection.UNAUTHENTICATED);
      }
    }
  }

  @Test
  void whenTheApiCannotBeAskedTheSocketIsKeptAndTheFailureCounted() throws Exception {
    try (Rig rig = new Rig(s -> s.credentialRecheck(Duration.ofMillis(200)));
        WsClient c = rig.connectedWith(Rig.token("u6", "s-kept"))) {
      rig.introspectionDown = true;
      await()
          .atMost(Credentials.RECHECK.plusSeconds(5))
          .until(
              () ->
                  Metrics.scrape(rig.realtime)
                      .contains("uat_realtime_credentials_unavailable_total"));
      c.send("{\"type\":\"ping\"}");
      assertThat(c.next("pong")).isNotNull();
      assertThat(rig.realtime.connections()).isEqualTo(1);

      // at connect, the client is told to retry, and may
      try (WsClient fresh = WsClient.open(rig.ws)) {
        String token = Rig.token("u6", "s-new");
        fresh.send("{\"type\":\"connect\",\"token\":\"" + token + "\"}");
        assertThat(fresh.next().get("code").asText()).isEqualTo("unavailable");
        rig.introspectionDown = false;
        fresh.send("{\"type\":\"connect\",\"token\":\"" + token + "\"}");
        assertThat(fresh.next().get("type").asText()).isEqualTo("connected");
      }
    }
  }

  @Test
  void theInternalChannelIsNeitherSubscribableNorDeliveredNorKept() throws Exception {
    try (Rig rig = new Rig(s -> s);
        WsClient c = rig.connected("u7")) {
      c.send("{\"type\":\"subscribe\",\"channel\":\"" + Revocation.CHANNEL + "\"}");
      assertThat(c.next().get("code").asText()).isEqualTo("forbidden");
      rig.bus.publish(Revocation.session("nobody's").toEvent());
      rig.publisher().publish("user:u7", "note", Map.of("n", 1));
      JsonNode next = c.next();
      assertThat(next.get("channel").asText()).isEqualTo("user:u7");
      assertThat(Metrics.scrape(rig.realtime)).contains("uat_realtime_history_events 1");
    }
  }
}
