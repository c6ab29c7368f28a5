package dev.uat.events;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The all-in-one bus: hands each event to every subscriber on the publishing thread. Subscribers
 * (the realtime hub) must return quickly: the hub enqueues frames and returns. A failing subscriber
 * is logged and skipped.
 */
public final class InProcessEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(InProcessEventBus.class);

  private final CopyOnWriteArrayList<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();

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
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  @Override
  public String system() {
    return "uat";
  }
}
