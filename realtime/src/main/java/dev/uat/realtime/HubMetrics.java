package dev.uat.realtime;

import static dev.uat.realtime.RealtimeAttributes.LIMIT;
import static dev.uat.realtime.RealtimeAttributes.REASON;
import static dev.uat.telemetry.UatAttributes.MESSAGING_SYSTEM;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** The hub's instruments (names under {@code uat.realtime.}; see docs/realtime.md). */
final class HubMetrics {
  private static final List<Double> SECONDS =
      List.of(
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
          2.5, 5.0, 10.0);
  private static final List<Double> LONG_SECONDS =
      List.of(1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0);

  final LongUpDownCounter active;
  final DoubleHistogram connectionDuration;
  final LongCounter messagesSent;

  /**
   * Bytes written to clients, summed here and read by the meter at collection: counted once per
   * recipient per frame, where a counter's {@code add} (attributes lookup, aggregator) would be
   * per-recipient telemetry work on Jetty's write-completion path.
   */
  final LongAdder bytesSent = new LongAdder();

  final LongCounter disconnects;
  final DoubleHistogram broadcastDuration;
  final DoubleHistogram pubsubLag;
  final LongCounter recoveries;
  final DoubleHistogram delivery;
  final LongCounter refused;
  final LongCounter dropped;
  final LongCounter unnumbered;
  final LongCounter slowConsumers;
  final LongCounter credentialsClosed;
  final LongCounter credentialsUnavailable;
  final LongCounter historyDropped;
  private final Meter meter;
  final Attributes system;

  HubMetrics(Telemetry telemetry, String messagingSystem) {
    Meter m = telemetry.meter();
    meter = m;
    system = Attributes.of(MESSAGING_SYSTEM, messagingSystem);
    active =
        m.upDownCounterBuilder("uat.realtime.connections.active")
            .setUnit("{connection}")
            .setDescription("Open WebSocket connections.")
            .build();
    connectionDuration =
        histogram(
            "uat.realtime.connection.duration",
            "How long WebSocket connections stayed open.",
            LONG_SECONDS);
    messagesSent =
        counter(
            "uat.realtime.messages.sent",
            "{message}",
            "Event frames handed to client connections.");
    m.counterBuilder("uat.realtime.bytes.sent")
        .setUnit("By")
        .setDescription("Bytes of frames written to client connections.")
        .buildWithCallback(c -> c.record(bytesSent.sum()));
    disconnects =
        counter(
            "uat.realtime.disconnects",
            "{connection}",
            "Closed connections by close code (4008: slow consumer).");
    broadcastDuration =
        histogram(
            "uat.realtime.broadcast.duration",
            "Time to encode a broadcast and queue it for every local recipient.",
            SECONDS);
    pubsubLag =
        histogram(
            "uat.realtime.pubsub.lag",
            "From publication (publisher's clock) to this instance's delivery.",
            SECONDS);
    recoveries =
        counter(
            "uat.realtime.recoveries",
            "{subscription}",
            "Subscriptions with a position to recover from, by outcome.");
    delivery =
        histogram(
            "uat.realtime.delivery.duration",
            "From broadcast to the client's acknowledgement (a round trip to the browser).",
            SECONDS);
    refused =
        counter(
            "uat.realtime.limits.refused",
            "{refusal}",
            "Connections or frames refused by a limit.");
    slowConsumers =
        counter(
            "uat.realtime.slow_consumers",
            "{connection}",
            "Connections closed (4008) because their outbound queue overflowed.");
    dropped =
        counter(
            "uat.realtime.events.dropped",
            "{event}",
            "Events dropped because the delivery queue was full.");
    unnumbered =
        counter(
            "uat.realtime.events.unnumbered",
            "{event}",
            "Events delivered unnumbered: published here while Redis did not take them, or posted"
                + " for this instance alone.");
    credentialsClosed =
        counter(
            "uat.realtime.credentials.closed",
            "{connection}",
            "Connections closed because their credential expired (4001) or was revoked (4003).");
    credentialsUnavailable =
        counter(
            "uat.realtime.credentials.unavailable",
            "{check}",
            "Credential checks the api could not answer (the connection is kept, or at connect"
                + " told to retry).");
    historyDropped =
        counter(
            "uat.realtime.history.dropped",
            "{event}",
            "Events let go by the in-memory history, by reason (trimmed, budget, expired,"
                + " stored, too_large).");
  }

  private LongCounter counter(String name, String unit, String description) {
    return meter.counterBuilder(name).setUnit(unit).setDescription(description).build();
  }

  /** A histogram of seconds with {@code buckets} as boundaries. */
  private DoubleHistogram histogram(String name, String description, List<Double> buckets) {
    return meter
        .histogramBuilder(name)
        .setUnit("s")
        .setDescription(description)
        .setExplicitBucketBoundariesAdvice(buckets)
        .build();
  }

  /** Publishes the connection cap, so that alerts compare connections with it. */
  void observeCap(int maxConnections) {
    gauge(
        "uat.realtime.connections.limit",
        "{connection}",
        "The most WebSocket connections this instance takes (maxConnections).",
        () -> maxConnections);
  }

  /** Publishes the size of {@code history} as gauges. */
  void observe(MemoryHistory history) {
    gauge(
        "uat.realtime.history.size",
        "By",
        "Bytes counted for the in-memory history (its budget: historyBytes).",
        history::bytes);
    gauge(
        "uat.realtime.history.events",
        "{event}",
        "Events kept in the in-memory history.",
        history::events);
  }

  private void gauge(String name, String unit, String description, LongSupplier value) {
    meter
        .gaugeBuilder(name)
        .ofLongs()
        .setUnit(unit)
        .setDescription(description)
        .buildWithCallback(g -> g.record(value.getAsLong()));
  }

  void historyDropped(String reason, long events) {
    historyDropped.add(events, Attributes.of(REASON, reason));
  }

  void credentialsClosed(String reason) {
    credentialsClosed.add(1, Attributes.of(REASON, reason));
  }

  void refused(String limit) {
    refused.add(1, Attributes.of(LIMIT, limit));
  }
}
