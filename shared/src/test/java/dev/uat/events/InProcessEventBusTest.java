package dev.uat.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class InProcessEventBusTest {
  @Test
  void withoutSubscribersNoChannelIsListenedTo() {
    try (InProcessEventBus bus = new InProcessEventBus()) {
      assertThat(bus.listened("conversation:1")).isFalse();
    }
  }

  @Test
  void aChannelIsListenedToWhenASubscribersPredicateAcceptsIt() throws Exception {
    try (InProcessEventBus bus = new InProcessEventBus()) {
      List<Event> received = new ArrayList<>();
      AutoCloseable revocations = bus.subscribe(e -> {}, "internal:auth"::equals);
      AutoCloseable hub = bus.subscribe(received::add, "conversation:1"::equals);

      assertThat(bus.listened("conversation:1")).isTrue();
      assertThat(bus.listened("conversation:2")).isFalse();
      bus.publish(new Event("conversation:2", "message.delta", "x", null, 0));
      assertThat(received).as("the predicate does not filter delivery").hasSize(1);

      hub.close();
      assertThat(bus.listened("conversation:1")).isFalse();
      revocations.close();
    }
  }

  @Test
  void aSubscriberThatSaysNothingListensToEveryChannel() {
    try (InProcessEventBus bus = new InProcessEventBus()) {
      bus.subscribe(e -> {});

      assertThat(bus.listened("conversation:1")).isTrue();
    }
  }

  @Test
  void removingOneSubscriptionKeepsAnotherWithTheSamePredicate() throws Exception {
    try (InProcessEventBus bus = new InProcessEventBus()) {
      Predicate<String> conversation1 = "conversation:1"::equals;
      AutoCloseable first = bus.subscribe(e -> {}, conversation1);
      bus.subscribe(e -> {}, conversation1);

      first.close();

      assertThat(bus.listened("conversation:1")).isTrue();
    }
  }

  @Test
  void aPredicateThatFailsCountsAsListening() {
    try (InProcessEventBus bus = new InProcessEventBus()) {
      bus.subscribe(
          e -> {},
          channel -> {
            throw new IllegalStateException("broken");
          });

      assertThat(bus.listened("conversation:1")).isTrue();
    }
  }
}
