package dev.uat.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.web.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The history of one instance, budgeted in bytes: per channel the last {@code size} events, none
 * older than {@code age}, and across all channels at most {@code maxBytes}. Each event is kept as
 * its serialized JSON (the data's UTF-8 bytes) and weighed as those bytes plus {@link
 * #ENTRY_OVERHEAD} plus two bytes per char of its strings; a channel costs {@link
 * #CHANNEL_OVERHEAD} more. So what is counted is what is held.
 *
 * <p>Past {@code maxBytes}, the channels quiet longest are forgotten first (whole: their clients
 * get {@code recovered: false} and reload from the api); when one channel alone is over the budget,
 * its oldest events go. A channel whose newest event is older than {@code age} is forgotten and
 * starts a new epoch with its next event. When a {@code message.created} arrives, the {@code
 * message.delta}s of that message are dropped: a client recovering gets the stored message, not its
 * tokens. Every event dropped is reported to {@link Drops} with its reason.
 *
 * <p>{@link #append} and {@link #sweep} are called by the hub's delivery thread (they also
 * synchronize on this history); reads may come from any thread and never wait for more than one
 * channel's append.
 */
final class MemoryHistory implements History {
  /** Bytes counted per event beyond its JSON: the entry, its deque slot, the array header. */
  static final int ENTRY_OVERHEAD = 96;

  /** Bytes counted per channel kept: its log, lock, deque and map entries. */
  static final int CHANNEL_OVERHEAD = 320;

  /** Why events leave the history (the {@code uat.realtime.reason} of the dropped counter). */
  static final String TRIMMED = "trimmed"; // the channel's ring was full

  static final String BUDGET = "budget"; // the byte budget: quietest channels first
  static final String EXPIRED = "expired"; // older than the age
  static final String STORED = "stored"; // deltas of a message that was stored
  static final String TOO_LARGE = "too_large"; // one event larger than the whole budget

  /** Told of every event the history lets go. */
  interface Drops {
    void dropped(String reason, long events);
  }

  private final int size;
  private final long ageMillis;
  private final long maxBytes;
  private final LongSupplier clock;
  private final Drops drops;
  private final Map<String, Log> logs = new ConcurrentHashMap<>();

  /** Channels by their last append, quietest first; guarded by this. */
  private final LinkedHashMap<String, Log> byQuiet = new LinkedHashMap<>();

  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong kept = new AtomicLong();

  MemoryHistory(int size, Duration age, long maxBytes, LongSupplier clockMillis, Drops drops) {
    this.size = size;
    this.ageMillis = age.toMillis();
    this.maxBytes = maxBytes;
    this.clock = clockMillis;
    this.drops = drops;
  }

  /**
   * An event made ready for the history on the publisher's thread: its data as a {@link JsonNode}
   * (converted once, shared by the coalescer and the encoder) and as serialized JSON.
   *
   * @param event the event, its data a {@link JsonNode}
   * @param json the data's UTF-8 JSON, which is what the history keeps
   * @param deltaOf the message a {@code message.delta} belongs to, else null
   * @param stored the message a {@code message.created} stores, else null
   */
  record Prepared(Event event, byte[] json, String deltaOf, String stored) {
    /** What it holds while it waits for the delivery thread: the tree and the bytes. */
    long weight() {
      return 256 + 3L * json.length;
    }
  }

  /** Prepares {@code event} for {@link #append(Prepared)}; any thread. */
  static Prepared prepare(Event event) {
    JsonNode data = event.data() instanceof JsonNode n ? n : Json.MAPPER.valueToTree(event.data());
    Event e =
        new Event(
            event.channel(), event.event(), data, event.traceparent(), event.timestampMillis());
    return new Prepared(
        e,
        Json.write(data),
        Streams.DELTA.equals(e.event()) ? text(data.get("message_id")) : null,
        Streams.CREATED.equals(e.event()) ? text(data.path("message").get("id")) : null);
  }

  /** Gives {@code event} the next offset of its channel and keeps it (tests). */
  Publication append(Event event) {
    return append(prepare(event));
  }

  /**
   * Gives a prepared event the next offset of its channel and keeps it. The returned publication's
   * data is a {@link JsonNode}.
   */
  Publication append(Prepared prepared) {
    Event e = prepared.event();
    String stored = prepared.stored();
    Entry entry =
        new Entry(
            0,
            e.event(),
            prepared.json(),
            e.traceparent(),
            e.timestampMillis(),
            prepared.deltaOf());
    synchronized (this) {
      long now = clock.getAsLong();
      Log log = logs.get(e.channel());
      if (log == null || log.expired(now)) {
        Log fresh = new Log(e.channel(), newEpoch());
        Log old = logs.put(e.channel(), fresh);
        byQuiet.remove(e.channel());
        if (old != null) {
          forget(old, EXPIRED);
        }
        bytes.addAndGet(fresh.weight);
        log = fresh;
      }
      byQuiet.remove(e.channel());
      byQuiet.put(e.channel(), log);
      long offset = log.append(entry, now);
      if (stored != null) {
        log.dropDeltas(stored);
      }
      enforceBudget(log);
      return new Publication(e, offset, log.epoch);
    }
  }

  private static String text(JsonNode n) {
    return n != null && n.isValueNode() ? n.asText() : null;
  }

  /** Forgets the quietest channels, then the oldest events of {@code current}, until in budget. */
  private void enforceBudget(Log current) {
    while (bytes.get() > maxBytes) {
      Map.Entry<String, Log> quietest = byQuiet.firstEntry();
      if (quietest == null) {
        return;
      }
      Log log = quietest.getValue();
      if (log != current) {
        byQuiet.pollFirstEntry();
        logs.remove(quietest.getKey(), log);
        forget(log, BUDGET);
      } else if (!current.trimOldest(BUDGET)) {
        return;
      }
    }
  }

  /** Takes a forgotten channel's bytes and events out of the totals; called holding this. */
  private void forget(Log log, String reason) {
    long[] gone = log.clear();
    bytes.addAndGet(-gone[0]);
    if (gone[1] > 0) {
      drops.dropped(reason, gone[1]);
    }
  }

  static String newEpoch() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public Position position(String channel) {
    Log log = logs.get(channel);
    if (log == null || log.expired(clock.getAsLong())) {
      return new Position(0, "");
    }
    return log.position();
  }

  @Override
  public Recovery recover(String channel, long since, String epoch, int max) throws IOException {
    long now = clock.getAsLong();
    Log log = logs.get(channel);
    if (log == null || log.expired(now)) {
      // nothing kept: only a client that had seen nothing of this channel has missed nothing
      Position p = new Position(0, "");
      return since == 0 ? new Recovery(true, p, List.of()) : Recovery.lost(p);
    }
    return log.since(since, epoch, max, now - ageMillis);
  }

  /** Forgets channels whose newest event has expired; called now and then by the hub. */
  @Override
  public synchronized void sweep() {
    long now = clock.getAsLong();
    for (Iterator<Map.Entry<String, Log>> it = byQuiet.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Log> e = it.next();
      if (!e.getValue().expired(now)) {
        break; // quietest first: the rest are newer
      }
      it.remove();
      logs.remove(e.getKey(), e.getValue());
      forget(e.getValue(), EXPIRED);
    }
  }

  /** Events kept across all channels. */
  long events() {
    return kept.get();
  }

  /** Bytes counted for what is kept (never above the budget after an append). */
  long bytes() {
    return bytes.get();
  }

  int channels() {
    return logs.size();
  }

  /** One kept event: its data as serialized JSON. */
  private record Entry(
      long offset, String event, byte[] data, String traceparent, long ts, String deltaOf) {
    Entry at(long offset) {
      return new Entry(offset, event, data, traceparent, ts, deltaOf);
    }

    long weight() {
      return ENTRY_OVERHEAD
          + data.length
          + 2L
              * (event.length()
                  + (traceparent == null ? 0 : traceparent.length())
                  + (deltaOf == null ? 0 : deltaOf.length()));
    }

    Publication publication(String channel, String epoch) throws IOException {
      return new Publication(
          new Event(channel, event, Json.MAPPER.readTree(data), traceparent, ts), offset, epoch);
    }
  }

  private final class Log {
    private final ReentrantLock lock = new ReentrantLock();
    private final String channel;
    private final String epoch;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long top; // newest offset
    private long trimmedThrough; // newest offset lost to a limit: recovery from before it fails
    private long weight; // bytes counted for this channel, its overhead included
    private int deltas; // entries that are deltas
    private volatile long newest; // local time of the newest event

    Log(String channel, String epoch) {
      this.channel = channel;
      this.epoch = epoch;
      this.weight = CHANNEL_OVERHEAD + 2L * channel.length();
    }

    boolean expired(long now) {
      return top > 0 && now - newest > ageMillis;
    }

    long append(Entry e, long now) {
      lock.lock();
      try {
        long offset = ++top;
        newest = now;
        Entry entry = e.at(offset);
        long w = entry.weight();
        if (w > maxBytes / 2) {
          trimmedThrough = offset; // never kept: nobody recovers across it
          drops.dropped(TOO_LARGE, 1);
          return offset;
        }
        entries.addLast(entry);
        weight += w;
        bytes.addAndGet(w);
        kept.incrementAndGet();
        if (entry.deltaOf != null) {
          deltas++;
        }
        if (entries.size() > size) {
          trimOldest(TRIMMED);
        }
        return offset;
      } finally {
        lock.unlock();
      }
    }

    /** Drops the oldest entry; false when there is none. */
    boolean trimOldest(String reason) {
      lock.lock();
      try {
        Entry e = entries.pollFirst();
        if (e == null) {
          return false;
        }
        trimmedThrough = Math.max(trimmedThrough, e.offset);
        remove(e);
        drops.dropped(reason, 1);
        return true;
      } finally {
        lock.unlock();
      }
    }

    /** Drops the deltas of {@code messageId}, now that the message itself is here. */
    void dropDeltas(String messageId) {
      lock.lock();
      try {
        if (deltas == 0) {
          return;
        }
        long n = 0;
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
          Entry e = it.next();
          if (messageId.equals(e.deltaOf)) {
            it.remove();
            remove(e);
            n++;
          }
        }
        if (n > 0) {
          drops.dropped(STORED, n);
        }
      } finally {
        lock.unlock();
      }
    }

    private void remove(Entry e) {
      long w = e.weight();
      weight -= w;
      bytes.addAndGet(-w);
      kept.decrementAndGet();
      if (e.deltaOf != null) {
        deltas--;
      }
    }

    /** Empties the log; returns {bytes it was counted for, events it held}. */
    long[] clear() {
      lock.lock();
      try {
        long[] gone = {weight, entries.size()};
        kept.addAndGet(-entries.size());
        entries.clear();
        weight = 0;
        deltas = 0;
        return gone;
      } finally {
        lock.unlock();
      }
    }

    Position position() {
      lock.lock();
      try {
        return new Position(top, epoch);
      } finally {
        lock.unlock();
      }
    }

    Recovery since(long since, String clientEpoch, int max, long oldestAllowed) throws IOException {
      List<Entry> out;
      Position now;
      lock.lock();
      try {
        now = new Position(top, epoch);
        if (!epoch.equals(clientEpoch) || since > top || since < 0 || since < trimmedThrough) {
          return Recovery.lost(now);
        }
        out = new ArrayList<>();
        for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
          Entry e = it.next();
          if (e.offset <= since) {
            break;
          }
          if (out.size() == max) {
            return Recovery.lost(now); // more missed than is replayed at once
          }
          out.add(e);
        }
      } finally {
        lock.unlock();
      }
      Collections.reverse(out);
      if (!out.isEmpty() && out.getFirst().ts < oldestAllowed) {
        return Recovery.lost(now); // the first one missed has aged out
      }
      List<Publication> events = new ArrayList<>(out.size());
      for (Entry e : out) {
        events.add(e.publication(channel, epoch));
      }
      return new Recovery(true, now, events);
    }
  }
}
