package dev.uat.realtime;

import static dev.uat.realtime.RedisEventBus.metaKey;
import static dev.uat.realtime.RedisEventBus.streamKey;

import dev.uat.web.Json;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The history of every instance sharing one Redis: per channel the stream that {@link
 * RedisEventBus#publish}'s script appends to (entries {@code 0-<offset>}, so {@code XRANGE} by
 * offset needs no index) and its meta hash (epoch, newest offset, newest offset trimmed). Read-only
 * here: the publisher's script numbers, appends and trims atomically.
 *
 * <p>Thread-safe; every call is a blocking round trip on the bus's connection (the hub calls it
 * from a connection's thread, never from the delivery thread).
 */
final class RedisHistory implements History {
  private final RedisCommands<String, String> sync;
  private final Duration historyAge;

  RedisHistory(RedisCommands<String, String> sync, Duration historyAge) {
    this.sync = sync;
    this.historyAge = historyAge;
  }

  @Override
  public Position position(String channel) {
    return position(sync.hmget(metaKey(channel), "epoch", "offset"));
  }

  /** The position in {@code meta} (epoch, offset, …); offset 0 and no epoch when there is none. */
  private static Position position(List<KeyValue<String, String>> meta) {
    String epoch = meta.get(0).getValueOrElse(null);
    if (epoch == null) {
      return new Position(0, "");
    }
    return new Position(Long.parseLong(meta.get(1).getValueOrElse("0")), epoch);
  }

  @Override
  public Recovery recover(String channel, long since, String epoch, int max) {
    List<KeyValue<String, String>> meta =
        sync.hmget(metaKey(channel), "epoch", "offset", "trimmed");
    Position now = position(meta);
    long trimmed = Long.parseLong(meta.get(2).getValueOrElse("0"));
    if (now.epoch().isEmpty()) {
      return since == 0 ? new Recovery(true, now, List.of()) : Recovery.lost(now);
    }
    if (!now.epoch().equals(epoch) || since > now.offset() || since < 0 || since < trimmed) {
      return Recovery.lost(now); // another epoch, or an event after `since` was trimmed
    }
    if (since == now.offset()) {
      return new Recovery(true, now, List.of());
    }
    // the deltas of stored messages are gone from the stream: fewer entries than offsets
    List<StreamMessage<String, String>> entries =
        sync.xrange(
            streamKey(channel), Range.create("0-" + (since + 1), "+"), Limit.from(max + 1L));
    if (entries.size() > max) {
      return Recovery.lost(now); // more missed than is replayed at once
    }
    if (entries.isEmpty()) {
      return Recovery.lost(now); // expired meanwhile
    }
    long oldestAllowed = System.currentTimeMillis() - historyAge.toMillis();
    if (Long.parseLong(entries.getFirst().getBody().getOrDefault("t", "0")) < oldestAllowed) {
      return Recovery.lost(now);
    }
    List<Publication> out = new ArrayList<>(entries.size());
    for (StreamMessage<String, String> m : entries) {
      try {
        out.add(
            new Publication(
                RedisEventBus.event(Json.MAPPER.readTree(m.getBody().get("p"))),
                offset(m),
                now.epoch()));
      } catch (IOException e) {
        return Recovery.lost(now);
      }
    }
    // events may have been added after the position was read: the position is the last one read
    return new Recovery(true, new Position(out.getLast().offset(), now.epoch()), out);
  }

  private static long offset(StreamMessage<String, String> m) {
    String id = m.getId();
    return Long.parseLong(id.substring(id.indexOf('-') + 1));
  }
}
