package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.WsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wiring's choice is explicit; Redis's side is covered end to end by {@link RedisFanoutTest}.
 */
@Timeout(30)
class RealtimeEventsTest {
  @Test
  void withoutARedisUrlEventsAreNumberedAndKeptInThisInstancesMemory() {
    Telemetry telemetry = Telemetry.noop("uat-realtime");
    try (RealtimeEvents events = RealtimeEvents.connect(null, telemetry)) {
      assertThat(events.bus()).isInstanceOf(InProcessEventBus.class);
      RealtimeEvents.Backing backing =
          events.backing(
              RealtimeSettings.defaults("http://api:1"),
              new HubMetrics(telemetry, events.bus().system()));
      assertThat(backing.history()).isInstanceOf(MemoryHistory.class);
      assertThat(backing.presence()).isSameAs(Presence.LOCAL);
      assertThat(backing.readiness()).as("nothing to check").isNull();
    }
  }

  @Test
  void inProcessBusSaysAChannelIsListenedToWhileALocalConnectionIsSubscribed() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      String channel = "conversation:mine-1";
      assertThat(rig.bus.listened(channel)).isFalse();

      try (WsClient c = rig.subscribed("u1", channel)) {
        assertThat(rig.bus.listened(channel)).isTrue();
        assertThat(rig.bus.listened("conversation:mine-2")).isFalse();
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> !rig.bus.listened(channel));
    }
  }

  @Test
  void aSubscriberThatSaysNothingOfItsChannelsListensToAll() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      rig.bus.subscribe(event -> {});

      assertThat(rig.bus.listened("conversation:mine-1")).isTrue();
    }
  }
}
