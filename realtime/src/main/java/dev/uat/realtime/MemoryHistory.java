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
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The history of one instance: a ring of the last {@code size} events per channel, none older than
 * {@code age}. A channel whose newest event is older than {@code age} is forgotten, and starts a
 * new epoch when it next has an event. {@link #append} is called by the hub's delivery thread;
 * reads may come from any thread.
 */
final class MemoryHistory implements History {
  private final int size;
  private final long ageMillis;
  private final LongSupplier clock;
  private final Map<String, Log> logs = new ConcurrentHashMap<>();

  MemoryHistory(int size, Duration age, LongSupplier clockMillis) {
    this.size = size;
    this.ageMillis = age.toMillis();
    this.clock = clockMillis;
  }

  /** Gives {@code event} the next offset of its channel and keeps it. */
  Publication append(Event event) {
    long now = clock.getAsLong();
    Log log = logs.get(event.channel());
    if (log == null || log.expired(now)) {
      log = new Log(size, newEpoch());
      logs.put(event.channel(), log);
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

  /** Forgets channels whose newest event has expired; called now and then by the hub. */
  void sweep() {
    long now = clock.getAsLong();
    logs.values().removeIf(l -> l.expired(now));
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

    boolean expired(long now) {
      return top > 0 && now - newest > ageMillis;
    }

    Publication append(Event event, long now) {
      lock.lock();
      try {
        Publication p = new Publication(event, top + 1, epoch);
        if (kept.size() == capacity) {
          kept.removeFirst();
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
