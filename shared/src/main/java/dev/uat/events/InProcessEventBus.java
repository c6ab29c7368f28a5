package dev.uat.events;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The all-in-one bus: hands each event to every subscriber on the publishing thread. Subscribers
 * (the realtime hub) must return quickly: the hub enqueues frames and returns. A failing subscriber
 * is logged and skipped.
 *
 * <p>{@link #listened} answers from the subscribers: true when one subscribed without saying what
 * it listens to, or when one's predicate accepts the channel (realtime's: a local connection is
 * subscribed to it).
 */
public final class InProcessEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(InProcessEventBus.class);

  private static final Predicate<String> EVERY_CHANNEL = channel -> true;

  private final CopyOnWriteArrayList<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Predicate<String>> listeners = new CopyOnWriteArrayList<>();

  @Override
  public void publish(Event event) {
    for (Consumer<Event> s : subscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        log.warn("event subscriber failed on {} {}", event.event(), event.channel(), e);
      }
    }
  }

  @Override
  public AutoCloseable subscribe(Consumer<Event> subscriber) {
    return subscribe(subscriber, EVERY_CHANNEL);
  }

  @Override
  public AutoCloseable subscribe(Consumer<Event> subscriber, Predicate<String> listens) {
    requireNonNull(subscriber, "subscriber");
    requireNonNull(listens, "listens");
    // a distinct object per registration: removing one never removes another's equal predicate
    Predicate<String> own = listens::test;
    listeners.add(own);
    subscribers.add(subscriber);
    return () -> {
      subscribers.remove(subscriber);
      listeners.remove(own);
    };
  }

  @Override
  public boolean listened(String channel) {
    for (Predicate<String> l : listeners) {
      try {
        if (l.test(channel)) {
          return true;
        }
      } catch (RuntimeException e) {
        log.warn("event subscriber could not tell whether it listens to {}", channel, e);
        return true;
      }
    }
    return false;
  }

  @Override
  public String system() {
    return "uat";
  }
}
