package dev.uat.events;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.metrics.LongCounter;
import java.util.function.Consumer;

/**
 * Carries events from the services that cause them (the api) to the realtime hubs that deliver
 * them. In-process in the all-in-one mode; Redis pub/sub when the hub is scaled out.
 *
 * <p>{@link #publish} never blocks on delivery to browsers and never throws because a subscriber
 * failed.
 */
public interface EventBus extends AutoCloseable {
  void publish(Event event);

  /** Registers a subscriber; returns a handle that removes it. */
  AutoCloseable subscribe(Consumer<Event> subscriber);

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
