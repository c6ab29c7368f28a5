package dev.uat.realtime;

import dev.uat.events.Event;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The history of one instance: a ring of the last {@code size} events per channel, none older than
 * {@code age}, and at most {@code maxEvents} events across all channels. A channel whose newest
 * event is older than {@code age} is forgotten, and starts a new epoch when it next has an event;
 * past {@code maxEvents}, the channels that were quiet longest are forgotten first (their clients
 * get {@code recovered: false} and reload from the api). {@link #append} is called by the hub's
 * delivery thread; reads may come from any thread.
 */
final class MemoryHistory implements History {
  /**
   * Events kept across all channels by default: a few hundred bytes each, so some 20 MB at most.
   * Without it, a busy instance (a new conversation per chat) kept every channel for the whole
   * {@code age} and filled the heap.
   */
  static final int DEFAULT_MAX_EVENTS = 50_000;

  private final int size;
  private final long ageMillis;
  private final int maxEvents;
  private final LongSupplier clock;
  private final Map<String, Log> logs = new ConcurrentHashMap<>();
  private final AtomicLong kept = new AtomicLong();

  MemoryHistory(int size, Duration age, LongSupplier clockMillis) {
    this(size, age, DEFAULT_MAX_EVENTS, clockMillis);
  }

  MemoryHistory(int size, Duration age, int maxEvents, LongSupplier clockMillis) {
    this.size = size;
    this.ageMillis = age.toMillis();
    this.maxEvents = maxEvents;
    this.clock = clockMillis;
  }

  /** Gives {@code event} the next offset of its channel and keeps it. */
  Publication append(Event event) {
    long now = clock.getAsLong();
    Log log = logs.get(event.channel());
    if (log == null || log.expired(now)) {
      Log fresh = new Log(size, newEpoch());
      Log old = logs.put(event.channel(), fresh);
      if (old != null) {
        kept.addAndGet(-old.size());
      }
      log = fresh;
    }
    return log.append(event, now);
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
  public Recovery recover(String channel, long since, String epoch, int max) {
    long now = clock.getAsLong();
    Log log = logs.get(channel);
    if (log == null || log.expired(now)) {
      // nothing kept: only a client that had seen nothing of this channel has missed nothing
      Position p = new Position(0, "");
      return since == 0 ? new Recovery(true, p, List.of()) : Recovery.lost(p);
    }
    return log.since(since, epoch, max, now - ageMillis);
  }

  /**
   * Forgets channels whose newest event has expired, then, past {@code maxEvents}, the channels
   * quiet longest; called now and then by the hub.
   */
  void sweep() {
    long now = clock.getAsLong();
    logs.values()
        .removeIf(
            l -> {
              if (l.expired(now)) {
                kept.addAndGet(-l.size());
                return true;
              }
              return false;
            });
    if (kept.get() <= maxEvents) {
      return;
    }
    List<Map.Entry<String, Log>> byQuiet = new ArrayList<>(logs.entrySet());
    byQuiet.sort(java.util.Comparator.comparingLong(e -> e.getValue().newest));
    for (Map.Entry<String, Log> e : byQuiet) {
      if (kept.get() <= maxEvents * 3L / 4) { // some room, so that sorting is not every tick
        break;
      }
      if (logs.remove(e.getKey(), e.getValue())) {
        kept.addAndGet(-e.getValue().size());
      }
    }
  }

  /** Events kept across all channels. */
  long events() {
    return kept.get();
  }

  int channels() {
    return logs.size();
  }

  private final class Log {
    private final ReentrantLock lock = new ReentrantLock();
    private final String epoch;
    private final int capacity;
    private final ArrayDeque<Publication> kept = new ArrayDeque<>();
    private long top; // newest offset
    private volatile long newest; // local time of the newest event

    Log(int capacity, String epoch) {
      this.epoch = epoch;
      this.capacity = capacity;
    }

    int size() {
      lock.lock();
      try {
        return kept.size();
      } finally {
        lock.unlock();
      }
    }

    boolean expired(long now) {
      return top > 0 && now - newest > ageMillis;
    }

    Publication append(Event event, long now) {
      lock.lock();
      try {
        Publication p = new Publication(event, top + 1, epoch);
        if (kept.size() == capacity) {
          kept.removeFirst();
        } else {
          MemoryHistory.this.kept.incrementAndGet();
        }
        kept.addLast(p);
        top++;
        newest = now;
        return p;
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

    Recovery since(long since, String clientEpoch, int max, long oldestAllowed) {
      lock.lock();
      try {
        Position now = new Position(top, epoch);
        if (!epoch.equals(clientEpoch) || since > top || since < 0) {
          return Recovery.lost(now);
        }
        long oldestKept = top - kept.size() + 1;
        if (since + 1 < oldestKept || top - since > max) {
          return Recovery.lost(now);
        }
        List<Publication> out = new ArrayList<>((int) (top - since));
        for (Iterator<Publication> it = kept.descendingIterator(); it.hasNext(); ) {
          Publication p = it.next();
          if (p.offset() <= since) {
            break;
          }
          out.add(p);
        }
        Collections.reverse(out);
        if (!out.isEmpty() && out.getFirst().event().timestampMillis() < oldestAllowed) {
          return Recovery.lost(now); // the first one missed has aged out
        }
        return new Recovery(true, now, out);
      } finally {
        lock.unlock();
      }
    }
  }
}
