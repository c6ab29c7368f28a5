package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.events.Event;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryHistoryTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final MemoryHistory history = new MemoryHistory(3, Duration.ofSeconds(60), now::get);

  private Publication append(String channel) {
    return history.append(new Event(channel, "e", "x", null, now.get()));
  }

  @Test
  void offsetsCountFromOnePerChannelWithinOneEpoch() {
    Publication a = append("c:1");
    Publication b = append("c:1");
    Publication other = append("c:2");
    assertThat(a.offset()).isEqualTo(1);
    assertThat(b.offset()).isEqualTo(2);
    assertThat(b.epoch()).isEqualTo(a.epoch());
    assertThat(other.offset()).isEqualTo(1);
    assertThat(history.position("c:1")).isEqualTo(new History.Position(2, a.epoch()));
    assertThat(history.position("c:none")).isEqualTo(new History.Position(0, ""));
  }

  @Test
  void recoversWhatIsKeptAndNothingBeyondTheSize() {
    Publication first = append("c:1");
    for (int i = 0; i < 3; i++) {
      append("c:1");
    }
    // kept: 2, 3, 4
    var fromOne = history.recover("c:1", 1, first.epoch(), 100);
    assertThat(fromOne.recovered()).isTrue();
    assertThat(fromOne.events()).extracting(Publication::offset).containsExactly(2L, 3L, 4L);
    assertThat(history.recover("c:1", 0, first.epoch(), 100).recovered()).isFalse();
    assertThat(history.recover("c:1", 4, first.epoch(), 100).events()).isEmpty();
    assertThat(history.recover("c:1", 4, first.epoch(), 100).recovered()).isTrue();
    assertThat(history.recover("c:1", 5, first.epoch(), 100).recovered()).isFalse();
    assertThat(history.recover("c:1", 2, "other", 100).recovered()).isFalse();
  }

  @Test
  void eventsOlderThanTheAgeAreNotRecoveredAndAnIdleChannelStartsANewEpoch() {
    Publication first = append("c:1");
    now.addAndGet(30_000);
    append("c:1");
    assertThat(history.recover("c:1", 1, first.epoch(), 100).recovered()).isTrue();
    now.addAndGet(40_000); // offset 1 is 70 s old, offset 2 is 40 s old
    assertThat(history.recover("c:1", 1, first.epoch(), 100).recovered()).isTrue();
    assertThat(history.recover("c:1", 0, first.epoch(), 100).recovered())
        .as("offset 1 is 70 s old")
        .isFalse();
    now.addAndGet(30_000); // the newest is 70 s old: the channel is forgotten
    Publication fresh = append("c:1");
    assertThat(fresh.offset()).isEqualTo(1);
    assertThat(fresh.epoch()).isNotEqualTo(first.epoch());
    history.sweep();
    assertThat(history.channels()).isEqualTo(1);
  }

  @Test
  void pastTheBudgetTheChannelsQuietLongestAreForgotten() throws Exception {
    MemoryHistory small = new MemoryHistory(3, Duration.ofSeconds(60), 8, now::get);
    for (int c = 0; c < 6; c++) { // six channels, two events each: 12 > 8
      now.addAndGet(10);
      small.append(
          new dev.uat.events.Event(
              "conversation:" + c, "message.created", java.util.Map.of(), null, now.get()));
      small.append(
          new dev.uat.events.Event(
              "conversation:" + c, "message.created", java.util.Map.of(), null, now.get()));
    }
    assertThat(small.events()).isEqualTo(12);
    String quietest = small.position("conversation:0").epoch();
    assertThat(small.recover("conversation:0", 1, quietest, 10).recovered()).isTrue();

    small.sweep();

    assertThat(small.events()).isLessThanOrEqualTo(6);
    assertThat(small.recover("conversation:0", 1, quietest, 10).recovered())
        .as("the quietest channel is gone")
        .isFalse();
    var newest = small.position("conversation:5");
    assertThat(newest.offset()).isEqualTo(2);
    assertThat(small.recover("conversation:5", 1, newest.epoch(), 10).events()).hasSize(1);
  }
}
