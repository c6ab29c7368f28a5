package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.events.Event;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link History} does, whatever keeps it: each implementation's test extends this with
 * a history of {@link #SIZE} events per channel.
 */
@Timeout(30)
abstract class HistoryContract {
  /** Events each channel keeps in the history under test. */
  static final int SIZE = 3;

  /** A channel no other test uses. */
  final String channel = "conversation:contract-" + UUID.randomUUID();

  abstract History history();

  /** Appends the {@code n}th event of {@code channel}; returns once the history holds it. */
  abstract void append(String channel, int n) throws Exception;

  static Event event(String channel, int n) {
    return new Event(channel, "message.created", Map.of("n", n), null, System.currentTimeMillis());
  }

  private void appendUpTo(int last) throws Exception {
    for (int n = 1; n <= last; n++) {
      append(channel, n);
    }
  }

  @Test
  void aChannelWithoutEventsIsAtOffsetZeroAndOnlyAClientThatSawNothingMissedNothing()
      throws Exception {
    assertThat(history().position(channel)).isEqualTo(new History.Position(0, ""));
    History.Recovery nothing = history().recover(channel, 0, "", 10);
    assertThat(nothing.recovered()).isTrue();
    assertThat(nothing.events()).isEmpty();
    assertThat(history().recover(channel, 2, "gone", 10).recovered()).isFalse();
  }

  @Test
  void missedEventsAreRecoveredOldestFirst() throws Exception {
    appendUpTo(3);
    History.Position now = history().position(channel);
    assertThat(now.offset()).isEqualTo(3);
    History.Recovery r = history().recover(channel, 1, now.epoch(), 10);
    assertThat(r.recovered()).isTrue();
    assertThat(r.position()).isEqualTo(now);
    assertThat(r.events()).extracting(Publication::offset).containsExactly(2L, 3L);
    assertThat(r.events()).allSatisfy(p -> assertThat(p.channel()).isEqualTo(channel));
    History.Recovery upToDate = history().recover(channel, 3, now.epoch(), 10);
    assertThat(upToDate.recovered()).isTrue();
    assertThat(upToDate.events()).isEmpty();
  }

  @Test
  void anotherEpochOrAnOffsetFromTheFutureIsNotRecovered() throws Exception {
    appendUpTo(2);
    String epoch = history().position(channel).epoch();
    History.Recovery other = history().recover(channel, 1, "other", 10);
    assertThat(other.recovered()).isFalse();
    assertThat(other.position()).isEqualTo(new History.Position(2, epoch));
    assertThat(history().recover(channel, 5, epoch, 10).recovered()).isFalse();
  }

  @Test
  void aGapPastWhatTheChannelKeepsIsNotRecovered() throws Exception {
    appendUpTo(SIZE + 2);
    String epoch = history().position(channel).epoch();
    assertThat(history().recover(channel, 1, epoch, 10).recovered()).isFalse();
    History.Recovery kept = history().recover(channel, 2, epoch, 10);
    assertThat(kept.recovered()).isTrue();
    assertThat(kept.events()).extracting(Publication::offset).containsExactly(3L, 4L, 5L);
  }
}
