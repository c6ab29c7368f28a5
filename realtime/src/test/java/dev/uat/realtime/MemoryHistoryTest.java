package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.events.Event;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryHistoryTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Map<String, Long> dropped = new ConcurrentHashMap<>();
  private final MemoryHistory history = history(3, 1024 * 1024);

  private MemoryHistory history(int size, long bytes) {
    return new MemoryHistory(
        size,
        Duration.ofSeconds(60),
        bytes,
        now::get,
        (why, n) -> dropped.merge(why, n, Long::sum));
  }

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
  void recoversWhatIsKeptAndNothingBeyondTheSize() throws Exception {
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
  void eventsOlderThanTheAgeAreNotRecoveredAndAnIdleChannelStartsANewEpoch() throws Exception {
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
  void pastTheByteBudgetTheChannelsQuietLongestAreForgotten() throws Exception {
    MemoryHistory small = history(1000, 64 * 1024);
    String text = "x".repeat(1000);
    String first = null;
    for (int c = 0; c < 200; c++) { // 200 channels of ~1.1 KB each: more than 64 KiB
      now.addAndGet(10);
      Publication p =
          small.append(
              new Event(
                  "conversation:" + c, "message.created", Map.of("t", text), null, now.get()));
      if (c == 0) {
        first = p.epoch();
      }
      assertThat(small.bytes()).isLessThanOrEqualTo(64 * 1024);
    }
    assertThat(small.recover("conversation:0", 1, first, 10).recovered())
        .as("the quietest channel is gone")
        .isFalse();
    var newest = small.position("conversation:199");
    assertThat(small.recover("conversation:199", 0, newest.epoch(), 10).events()).hasSize(1);
    assertThat(dropped.get(MemoryHistory.BUDGET)).isPositive();
    assertThat(small.bytes()).isGreaterThan(32 * 1024); // forgets only what it must
    assertThat(small.events() + dropped.get(MemoryHistory.BUDGET)).isEqualTo(200);
  }

  @Test
  void oneChannelAloneOverTheBudgetLosesItsOldestEvents() throws Exception {
    MemoryHistory small = history(1000, 64 * 1024);
    Publication first = null;
    for (int i = 0; i < 200; i++) {
      Publication p =
          small.append(
              new Event("conversation:big", "e", Map.of("t", "y".repeat(1000)), null, now.get()));
      first = first == null ? p : first;
    }
    assertThat(small.bytes()).isLessThanOrEqualTo(64 * 1024);
    assertThat(small.recover("conversation:big", 0, first.epoch(), 1000).recovered()).isFalse();
    long kept = small.events();
    var recent = small.recover("conversation:big", 200 - kept, first.epoch(), 1000);
    assertThat(recent.recovered()).isTrue();
    assertThat(recent.events()).hasSize((int) kept);
    assertThat(recent.events().getFirst().event().data().toString()).contains("yyy");
  }

  @Test
  void theDeltasOfAStoredMessageAreDroppedAndRecoveryReplaysTheMessage() throws Exception {
    MemoryHistory h = history(1000, 1024 * 1024);
    String ch = "conversation:s";
    Publication before = h.append(new Event(ch, "message.created", msg("m0"), null, now.get()));
    for (int i = 0; i < 50; i++) {
      h.append(new Event(ch, Streams.DELTA, delta("m1", i), null, now.get()));
    }
    h.append(new Event(ch, Streams.DELTA, delta("m2", 0), null, now.get())); // still streaming
    long withDeltas = h.bytes();
    Publication stored = h.append(new Event(ch, "message.created", msg("m1"), null, now.get()));
    assertThat(stored.offset()).isEqualTo(53);
    assertThat(h.events()).isEqualTo(3);
    assertThat(h.bytes()).isLessThan(withDeltas);
    assertThat(dropped.get(MemoryHistory.STORED)).isEqualTo(50);

    var r = h.recover(ch, before.offset(), before.epoch(), 1000);
    assertThat(r.recovered()).as("dropped deltas are not a gap").isTrue();
    assertThat(r.events())
        .extracting(p -> p.event().event() + "@" + p.offset())
        .containsExactly(Streams.DELTA + "@52", "message.created@53");
    var midStream = h.recover(ch, 10, before.epoch(), 1000);
    assertThat(midStream.recovered()).isTrue();
    assertThat(midStream.events()).hasSize(2);
  }

  private static Map<String, Object> delta(String message, int index) {
    return Map.of("conversation_id", "s", "message_id", message, "delta", "tok", "index", index);
  }

  private static Map<String, Object> msg(String id) {
    return Map.of("conversation_id", "s", "message", Map.of("id", id, "content", "Hello"));
  }
}
