package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.EventPublisher;
import dev.uat.web.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  /** A realtime service that pings every {@code interval} and waits 300 ms for the pong. */
  private static Rig pinging(Duration interval) throws Exception {
    return new Rig(s -> s.pingInterval(interval).pongTimeout(Duration.ofMillis(300)));
  }

  @Test
  void clientThatDoesNotAnswerThePingIsClosedWith4009() throws Exception {
    try (Rig rig = pinging(Duration.ofMillis(200));
        WsClient c = rig.connected("sleepy")) {
      assertThat(c.next().get("type").asText()).isEqualTo("ping");
      assertThat(c.closeCode()).isEqualTo(Connection.NO_PONG);
    }
  }

  @Test
  void clientAnsweringPingsStaysConnected() throws Exception {
    try (Rig rig = pinging(Duration.ofMillis(100));
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
  void bytesSentCountsEveryRecipientsFrame() throws Exception {
    try (Rig rig = new Rig(s -> s);
        WsClient a = rig.connected("bytes-a");
        WsClient b = rig.connected("bytes-b")) {
      String channel = "conversation:mine-bytes";
      Rig.subscribe(a, channel);
      Rig.subscribe(b, channel);
      long before = bytesSent(rig);
      rig.publisher().publish(channel, "message.created", Map.of("text", "x".repeat(1000)));
      a.next("event");
      b.next("event");
      // summed as Jetty reports each write done, read by the meter at scrape time
      await().atMost(Duration.ofSeconds(10)).until(() -> bytesSent(rig) - before >= 2 * 1000);
    }
  }

  private static long bytesSent(Rig rig) throws Exception {
    Matcher m =
        Pattern.compile("(?m)^uat_realtime_bytes_sent_bytes_total(?:\\{[^}]*})? ([0-9.E]+)")
            .matcher(Metrics.scrape(rig.realtime));
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
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

  /** Opens a WebSocket as a trusted proxy would forward it for {@code client}. */
  private static WebSocket forwarded(Rig rig, String client) throws Exception {
    return HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .header("X-Forwarded-For", client)
        .buildAsync(URI.create(rig.ws), new WebSocket.Listener() {})
        .get(10, TimeUnit.SECONDS);
  }

  /** A socket for {@code client}, or null when the upgrade is refused with 429. */
  private static WebSocket tryOpen(Rig rig, String client) throws Exception {
    try {
      return forwarded(rig, client);
    } catch (ExecutionException | CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
      assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
          .isEqualTo(429);
      return null;
    }
  }

  @Test
  void unauthenticatedConnectionsArePerAddressCappedAndTheNextIsRefusedWith429() throws Exception {
    try (Rig rig = new Rig(s -> s.maxUnauthenticatedPerAddress(3))) {
      List<WebSocket> waiting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        waiting.add(forwarded(rig, "203.0.113.7"));
      }
      assertThat(tryOpen(rig, "203.0.113.7")).as("the 4th from that address").isNull();
      // another address behind the same (trusted, loopback) proxy is not held back
      waiting.add(forwarded(rig, "198.51.100.1"));
      assertThat(Metrics.scrape(rig.realtime))
          .contains(
              "uat_realtime_limits_refused_total{uat_realtime_limit=\"unauthenticated_per_address\"}"
                  + " 1");

      // one of them authenticates: it no longer counts, and there is room for one more
      waiting
          .getFirst()
          .sendText("{\"type\":\"connect\",\"token\":\"" + Rig.token("u1") + "\"}", true)
          .join();
      waiting.add(
          await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> tryOpen(rig, "203.0.113.7"), java.util.Objects::nonNull));
      assertThat(tryOpen(rig, "203.0.113.7")).isNull();
      // one that goes away frees its place
      waiting.get(1).abort();
      waiting.add(
          await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> tryOpen(rig, "203.0.113.7"), java.util.Objects::nonNull));
      waiting.forEach(WebSocket::abort);
    }
  }

  @Test
  void historyStaysUnderItsByteBudgetWhenFlooded() throws Exception {
    long budget = 256 * 1024;
    try (Rig rig = new Rig(s -> s.historyBytes(budget));
        WsClient c = rig.connected("flood")) {
      Rig.subscribe(c, "conversation:mine-last");
      EventPublisher events = rig.publisher();
      String text = "z".repeat(2048);
      for (int i = 0; i < 2000; i++) { // ~4 MB over 500 channels
        events.publish("conversation:c" + (i % 500), "message.created", Map.of("t", text, "n", i));
      }
      events.publish("conversation:mine-last", "message.created", Map.of("n", -1));
      assertThat(c.next("event").at("/data/n").asInt()).isEqualTo(-1); // all were appended
      String metrics = Metrics.scrape(rig.realtime);
      long held = gauge(metrics, "uat_realtime_history_size_bytes");
      assertThat(held).isPositive().isLessThanOrEqualTo(budget);
      assertThat(held).as("the budget is used, not emptied").isGreaterThan(budget / 2);
      assertThat(gauge(metrics, "uat_realtime_history_events")).isBetween(50L, 130L);
      assertThat(metrics)
          .containsPattern(
              "uat_realtime_history_dropped_total\\{uat_realtime_reason=\"budget\"\\} 1[89]\\d\\d");
    }
  }

  private static long gauge(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(metrics);
    assertThat(m.find()).as(name + " in\n" + metrics).isTrue();
    return (long) Double.parseDouble(m.group(1));
  }
}
