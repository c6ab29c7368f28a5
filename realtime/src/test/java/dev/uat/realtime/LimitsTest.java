package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.EventPublisher;
import dev.uat.web.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Backpressure, liveness and the limits on what a client may do. */
@Timeout(60)
class LimitsTest {
  @Test
  void slowConsumerIsClosedWith4008WhileOthersKeepReceiving() throws Exception {
    try (Rig rig = new Rig(s -> s)) { // the default queue: 1 MiB per connection
      String channel = "conversation:mine-busy";
      try (RawWebSocket slow = new RawWebSocket(rig.realtime.port(), 4096);
          WsClient fast = rig.connected("fast")) {
        slow.sendText("{\"type\":\"connect\",\"token\":\"" + Rig.token("slow") + "\"}");
        assertThat(slow.read().text()).contains("\"connected\"");
        slow.sendText("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
        assertThat(slow.read().text()).contains("\"subscribed\"");
        Rig.subscribe(fast, channel);

        // the slow client reads nothing more; the fast one reads each batch of 256 KB as it
        // comes; until the slow one's socket buffers and its 1 MiB queue are full
        EventPublisher events = rig.publisher();
        String chunk = "x".repeat(16 * 1024);
        int n = 0;
        while (!Metrics.scrape(rig.realtime).contains("uat_realtime_slow_consumers_total 1.0")) {
          assertThat(n).as("no overflow after %d events", n).isLessThan(3000);
          for (int i = 0; i < 16; i++) {
            n++;
            events.publish(channel, "message.created", Map.of("n", n, "text", chunk));
          }
          for (int i = n - 15; i <= n; i++) {
            assertThat(fast.next("event").at("/data/n").asInt()).isEqualTo(i);
          }
        }
        // what was written before the overflow stays in the socket; the close frame comes after
        assertThat(slow.readUntilClose()).isEqualTo(Connection.SLOW_CONSUMER);
        await().atMost(Duration.ofSeconds(10)).until(() -> rig.realtime.connections() == 1);
        assertThat(Metrics.scrape(rig.realtime))
            .contains("uat_realtime_disconnects_total{uat_realtime_close_code=\"4008\"} 1.0")
            .contains("uat_realtime_slow_consumers_total 1.0");

        events.publish(channel, "message.created", Map.of("n", n + 1));
        assertThat(fast.next("event").at("/data/n").asInt()).isEqualTo(n + 1);
      }
    }
  }

  @Test
  void clientThatDoesNotAnswerThePingIsClosedWith4009() throws Exception {
    try (Rig rig =
            new Rig(
                s -> s.pingInterval(Duration.ofMillis(200)).pongTimeout(Duration.ofMillis(300)));
        WsClient c = rig.connected("sleepy")) {
      assertThat(c.next().get("type").asText()).isEqualTo("ping");
      assertThat(c.closeCode()).isEqualTo(Connection.NO_PONG);
    }
  }

  @Test
  void clientAnsweringPingsStaysConnected() throws Exception {
    try (Rig rig =
            new Rig(
                s -> s.pingInterval(Duration.ofMillis(100)).pongTimeout(Duration.ofMillis(300)));
        WsClient c = rig.connected("awake")) {
      for (int i = 0; i < 5; i++) {
        assertThat(c.next().get("type").asText()).isEqualTo("ping");
        c.send("{\"type\":\"pong\"}");
      }
      c.send("{\"type\":\"ping\",\"id\":1}");
      JsonNode pong = c.next("pong");
      assertThat(pong.get("id").asInt()).isEqualTo(1);
      assertThat(rig.realtime.connections()).isEqualTo(1);
    }
  }

  @Test
  void connectionsPerUserAreCapped() throws Exception {
    try (Rig rig = new Rig(s -> s.maxConnectionsPerUser(2));
        WsClient a = rig.connected("many");
        WsClient b = rig.connected("many");
        WsClient c = WsClient.open(rig.ws)) {
      c.send("{\"type\":\"connect\",\"token\":\"" + Rig.token("many") + "\"}");
      assertThat(c.next().get("code").asText()).isEqualTo("too_many_connections");
      assertThat(c.closeCode()).isEqualTo(Connection.TOO_MANY_CONNECTIONS);
      try (WsClient other = rig.connected("someone-else")) {
        assertThat(other).isNotNull();
      }
    }
  }

  @Test
  void fullInstanceClosesNewConnectionsWith1013() throws Exception {
    try (Rig rig = new Rig(s -> s.maxConnections(1));
        WsClient first = rig.connected("u1");
        WsClient second = WsClient.open(rig.ws)) {
      assertThat(second.closeCode()).isEqualTo(Connection.SERVER_FULL);
      first.send("{\"type\":\"ping\"}");
      assertThat(first.next("pong")).isNotNull();
    }
  }

  @Test
  void framesBeyondTheRateAreRefused() throws Exception {
    try (Rig rig = new Rig(s -> s.maxFramesPerSecond(5));
        WsClient c = rig.connected("chatty")) {
      for (int i = 0; i < 40; i++) {
        c.send("{\"type\":\"ping\"}");
      }
      int pongs = 0;
      int refused = 0;
      for (int i = 0; i < 40; i++) {
        JsonNode f = c.next();
        if (f.get("type").asText().equals("pong")) {
          pongs++;
        } else if ("rate_limited".equals(f.path("code").asText())) {
          refused++;
        }
      }
      assertThat(refused).isPositive();
      assertThat(pongs).isBetween(9, 15); // a burst of 10, refilled at 5/s, minus the connect
      assertThat(Metrics.scrape(rig.realtime))
          .contains("uat_realtime_limits_refused_total{uat_realtime_limit=\"frame_rate\"}");
    }
  }

  @Test
  void oversizedFrameClosesWith1009() throws Exception {
    try (Rig rig = new Rig(s -> s.maxFrameBytes(1024));
        WsClient c = rig.connected("big")) {
      c.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(2000) + "\"}");
      assertThat(c.closeCode()).isEqualTo(1009);
    }
  }

  @Test
  void tooManySubscriptionsAreRefused() throws Exception {
    try (Rig rig = new Rig(s -> s.maxSubscriptions(2));
        WsClient c = rig.connected("greedy")) {
      Rig.subscribe(c, "conversation:mine-a"); // the user's own channel is the first
      c.send("{\"type\":\"subscribe\",\"channel\":\"conversation:mine-b\"}");
      assertThat(c.next().get("code").asText()).isEqualTo("too_many_subscriptions");
    }
  }
}
