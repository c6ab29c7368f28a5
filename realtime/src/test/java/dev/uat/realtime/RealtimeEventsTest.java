package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.Telemetry;
import org.junit.jupiter.api.Test;

/**
 * The wiring's choice is explicit; Redis's side is covered end to end by {@link RedisFanoutTest}.
 */
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
}
