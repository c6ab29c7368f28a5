package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.EventPublisher;
import dev.uat.web.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RecoveryTest {
  private Rig rig;
  private EventPublisher events;

  @BeforeEach
  void start() throws Exception {
    rig = new Rig(s -> s.historySize(4));
    events = rig.publisher();
  }

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private void publish(String channel, int n) {
    events.publish(channel, "message.created", Map.of("n", n));
  }

  /** Subscribes with a position and returns the reply. */
  private static JsonNode resubscribe(WsClient c, String channel, long offset, String epoch) {
    c.send(Rig.since(channel, offset, epoch));
    try {
      return c.next();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void reconnectingClientGetsExactlyWhatItMissedThenLiveEvents() throws Exception {
    String channel = "conversation:mine-1";
    long offset;
    String epoch;
    try (WsClient first = rig.connected("u1")) {
      JsonNode subscribed = Rig.subscribe(first, channel);
      assertThat(subscribed.get("offset").asLong()).isZero();
      publish(channel, 1);
      JsonNode e1 = first.next("event");
      offset = e1.get("offset").asLong();
      epoch = e1.get("epoch").asText();
      assertThat(offset).isEqualTo(1);
      assertThat(epoch).isNotEmpty();
    }
    publish(channel, 2);
    publish(channel, 3);

    try (WsClient again = rig.connected("u1")) {
      JsonNode reply = resubscribe(again, channel, offset, epoch);
      assertThat(reply.get("type").asText()).isEqualTo("subscribed");
      assertThat(reply.get("recovered").asBoolean()).isTrue();
      assertThat(reply.get("offset").asLong()).isEqualTo(3);
      assertThat(again.next("event").at("/data/n").asInt()).isEqualTo(2);
      assertThat(again.next("event").at("/data/n").asInt()).isEqualTo(3);
      publish(channel, 4);
      JsonNode live = again.next("event");
      assertThat(live.at("/data/n").asInt()).isEqualTo(4);
      assertThat(live.get("offset").asLong()).isEqualTo(4);
      assertThat(again.poll(200)).isNull();
    }
  }

  @Test
  void gapLargerThanTheHistoryIsNotRecovered() throws Exception {
    String channel = "conversation:mine-2";
    JsonNode first;
    try (WsClient c = rig.connected("u1")) {
      Rig.subscribe(c, channel);
      publish(channel, 1);
      first = c.next("event");
    }
    for (int n = 2; n <= 7; n++) {
      publish(channel, n); // history keeps 4: offsets 4..7
    }
    try (WsClient again = rig.connected("u1")) {
      JsonNode reply =
          resubscribe(again, channel, first.get("offset").asLong(), first.get("epoch").asText());
      assertThat(reply.get("recovered").asBoolean()).isFalse();
      assertThat(reply.get("offset").asLong()).isEqualTo(7);
      publish(channel, 8);
      JsonNode next = again.next();
      assertThat(next.get("type").asText()).isEqualTo("event");
      assertThat(next.at("/data/n").asInt()).as("no stale event first").isEqualTo(8);
    }
    assertThat(Metrics.scrape(rig.realtime))
        .contains("uat_realtime_recoveries_total{uat_realtime_recovered=\"false\"} 1");
  }

  @Test
  void anotherEpochIsNotRecovered() throws Exception {
    String channel = "conversation:mine-3";
    publish(channel, 1);
    try (WsClient c = rig.connected("u1")) {
      JsonNode reply = resubscribe(c, channel, 0, "not-this-one");
      assertThat(reply.get("recovered").asBoolean()).isFalse();
      assertThat(c.poll(200)).isNull();
    }
  }

  @Test
  void badPositionIsAnError() throws Exception {
    try (WsClient c = rig.connected("u1")) {
      c.send(
          "{\"type\":\"subscribe\",\"channel\":\"conversation:mine-4\",\"since\":{\"offset\":\"x\"}}");
      assertThat(c.next().get("code").asText()).isEqualTo("invalid_request");
    }
  }

  @Test
  void eventsPublishedDuringRecoveryAreNeitherLostNorRepeated() throws Exception {
    Rig big = new Rig(s -> s.historySize(10_000));
    try (big) {
      EventPublisher publisher = big.publisher();
      String channel = "conversation:mine-race";
      String epoch;
      try (WsClient c = big.connected("u1")) {
        Rig.subscribe(c, channel);
        publisher.publish(channel, "message.created", Map.of("n", 1));
        epoch = c.next("event").get("epoch").asText();
      }
      Thread producer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int n = 2; n <= 400; n++) {
                      publisher.publish(channel, "message.created", Map.of("n", n));
                    }
                  });
      try (WsClient c = big.connected("u1")) {
        JsonNode reply = resubscribe(c, channel, 1, epoch);
        assertThat(reply.get("recovered").asBoolean()).isTrue();
        producer.join();
        List<Long> offsets = new ArrayList<>();
        while (offsets.isEmpty() || offsets.getLast() < 400) {
          offsets.add(c.next("event").get("offset").asLong());
        }
        List<Long> expected = new ArrayList<>();
        for (long o = 2; o <= 400; o++) {
          expected.add(o);
        }
        assertThat(offsets).isEqualTo(expected);
      }
    }
  }
}
