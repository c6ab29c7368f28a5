package dev.uat.events;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.metrics.LongCounter;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Carries events from the services that cause them (the api) to the realtime hubs that deliver
 * them. In-process in the all-in-one mode; Redis pub/sub when the hub is scaled out.
 *
 * <p>{@link #publish} never blocks on delivery to browsers and never throws because a subscriber
 * failed.
 */
public interface EventBus extends AutoCloseable {
  void publish(Event event);

  /**
   * Registers a subscriber that may want any channel's events; returns a handle that removes it.
   */
  AutoCloseable subscribe(Consumer<Event> subscriber);

  /**
   * Registers a subscriber that only cares for the channels {@code listens} accepts at the moment
   * it is asked ({@link #listened}); returns a handle that removes it. The subscriber still
   * receives every event: the predicate only answers {@link #listened}. {@code listens} is called
   * on publishers' threads, must be thread-safe and must return quickly. A bus that cannot use it
   * ignores it (the default).
   */
  default AutoCloseable subscribe(Consumer<Event> subscriber, Predicate<String> listens) {
    return subscribe(subscriber);
  }

  /**
   * Whether an event published to {@code channel} now may reach someone: false only when the bus
   * knows that nobody listens, so that a publisher may skip work whose only use is such events
   * (streaming an answer's deltas). A subscriber may arrive just after the answer: it then misses
   * what was skipped. True by default ("cannot tell"). Never blocks, never throws.
   */
  default boolean listened(String channel) {
    return true;
  }

  /** {@code messaging.system} of this transport, for spans. */
  String system();

  @Override
  default void close() {}

  /**
   * The counter every bus counts the events it could not hand on in: {@code
   * uat.events.publish.failed}.
   */
  static LongCounter publishFailures(Telemetry telemetry) {
    return telemetry
        .meter()
        .counterBuilder("uat.events.publish.failed")
        .setDescription("Events that could not be handed to the realtime service.")
        .build();
  }
}
