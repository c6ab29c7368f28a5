package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import dev.uat.events.Event;
import dev.uat.events.EventBus;
import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;

/**
 * Where realtime takes its events from and keeps its channels' state: the {@link #bus()}, the
 * channels' history and who is subscribed. The wiring chooses one of two shapes, and realtime never
 * guesses it from the bus:
 *
 * <ul>
 *   <li>{@link #redis}: one Redis for every instance (and the api instances that publish). The
 *       publisher numbers events as it appends them to the channel's stream; every instance
 *       delivers them with the same offsets, reads history from the streams and counts presence
 *       across instances. {@code /ready} checks Redis.
 *   <li>{@link #inMemory}: a bus that does not number events (in process, or the events posted to
 *       {@code /internal/events}). This instance numbers them and keeps the history in its memory,
 *       within {@link RealtimeSettings#historyBytes()}; presence is this instance's.
 * </ul>
 *
 * <p>{@link #close()} closes the bus. Thread-safe.
 */
public final class RealtimeEvents implements AutoCloseable {
  /** What one realtime service uses: made when it starts. */
  record Backing(History history, Presence presence, Feed feed, Service.Check readiness) {}

  /** Hands the bus's events to the delivery; closing the result stops it. */
  interface Feed {
    AutoCloseable start(Delivery delivery);
  }

  private interface Backer {
    Backing backing(RealtimeSettings settings, HubMetrics metrics);
  }

  /** How an event reaches this instance's subscribers alone. */
  private interface Here {
    void deliver(Event event, int bytes);
  }

  private final EventBus bus;
  private final Backer backer;
  private final Here here;

  private RealtimeEvents(EventBus bus, Backer backer, Here here) {
    this.bus = bus;
    this.backer = backer;
    this.here = here;
  }

  /**
   * For {@code redisUrl} ({@code redis://host:port/db}, {@code rediss://…} for TLS): {@link
   * RedisEventBus#connect(String, Telemetry)} and its history and presence; when {@code redisUrl}
   * is null, {@link #inProcess()}. Fails at once when Redis cannot be reached.
   */
  public static RealtimeEvents connect(String redisUrl, Telemetry telemetry) {
    requireNonNull(telemetry, "telemetry");
    return redisUrl == null ? inProcess() : redis(RedisEventBus.connect(redisUrl, telemetry));
  }

  /** History in the streams of {@code bus}'s Redis, presence counted there across instances. */
  public static RealtimeEvents redis(RedisEventBus bus) {
    requireNonNull(bus, "bus");
    return new RealtimeEvents(
        bus,
        (settings, metrics) ->
            new Backing(
                bus.history(),
                bus.presence(),
                delivery -> bus.subscribePublications(delivery::deliver),
                bus::ping),
        bus::deliverHere);
  }

  /**
   * Events of {@code bus} (which does not number them) numbered here, history in this instance's
   * memory, presence this instance's.
   */
  public static RealtimeEvents inMemory(EventBus bus) {
    requireNonNull(bus, "bus");
    return new RealtimeEvents(
        bus,
        (settings, metrics) -> {
          MemoryHistory memory =
              new MemoryHistory(
                  settings.historySize(),
                  settings.historyAge(),
                  settings.historyBytes(),
                  System::currentTimeMillis,
                  metrics::historyDropped);
          metrics.observe(memory);
          return new Backing(
              memory,
              Presence.LOCAL,
              // the predicate lets the bus tell a publisher that nobody here listens
              // (EventBus.listened): the api then asks for an answer without streaming it
              delivery ->
                  bus.subscribe(event -> delivery.publish(event, memory), delivery::listened),
              null);
        },
        (event, bytes) -> bus.publish(event));
  }

  /** {@link #inMemory} on a new {@link InProcessEventBus}: the all-in-one without Redis. */
  public static RealtimeEvents inProcess() {
    return inMemory(new InProcessEventBus());
  }

  /**
   * Hands {@code event} to this instance's own subscribers only, never to Redis: unnumbered with
   * Redis ({@link RedisEventBus#deliverHere}); on a bus numbered here, published as usual (every
   * delivery is this instance's). {@code bytes} is its serialized length.
   */
  void deliverHere(Event event, int bytes) {
    here.deliver(event, bytes);
  }

  /** The bus: for the publishers in this process (the api of the all-in-one) and revocations. */
  public EventBus bus() {
    return bus;
  }

  Backing backing(RealtimeSettings settings, HubMetrics metrics) {
    return backer.backing(settings, metrics);
  }

  @Override
  public void close() {
    bus.close();
  }

  @Override
  public String toString() {
    return "RealtimeEvents{" + bus + "}";
  }
}
