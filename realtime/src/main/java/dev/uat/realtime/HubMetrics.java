package dev.uat.realtime;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/** The hub's instruments (names under {@code uat.realtime.}; see docs/realtime.md). */
final class HubMetrics {
  static final AttributeKey<Long> CODE = AttributeKey.longKey("uat.realtime.close_code");
  static final AttributeKey<String> LIMIT = AttributeKey.stringKey("uat.realtime.limit");
  static final AttributeKey<Boolean> RECOVERED = AttributeKey.booleanKey("uat.realtime.recovered");
  static final AttributeKey<String> TEMPLATE =
      AttributeKey.stringKey("messaging.destination.template");
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("uat.realtime.reason");

  private static final List<Double> SECONDS =
      List.of(
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
          2.5, 5.0, 10.0);
  private static final List<Double> LONG_SECONDS =
      List.of(1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0);

  final LongUpDownCounter active;
  final DoubleHistogram connectionDuration;
  final LongCounter messagesSent;
  final LongCounter bytesSent;
  final LongCounter disconnects;
  final DoubleHistogram broadcastDuration;
  final DoubleHistogram pubsubLag;
  final LongCounter recoveries;
  final DoubleHistogram delivery;
  final LongCounter refused;
  final LongCounter dropped;
  final LongCounter slowConsumers;
  final LongCounter credentialsClosed;
  final LongCounter credentialsUnavailable;
  final LongCounter historyDropped;
  private final Meter meter;
  final Attributes system;

  HubMetrics(Telemetry telemetry, String messagingSystem) {
    Meter m = telemetry.meter();
    meter = m;
    system = Attributes.of(SYSTEM, messagingSystem);
    active =
        m.upDownCounterBuilder("uat.realtime.connections.active")
            .setUnit("{connection}")
            .setDescription("Open WebSocket connections.")
            .build();
    connectionDuration =
        m.histogramBuilder("uat.realtime.connection.duration")
            .setUnit("s")
            .setDescription("How long WebSocket connections stayed open.")
            .setExplicitBucketBoundariesAdvice(LONG_SECONDS)
            .build();
    messagesSent =
        m.counterBuilder("uat.realtime.messages.sent")
            .setUnit("{message}")
            .setDescription("Event frames handed to client connections.")
            .build();
    bytesSent =
        m.counterBuilder("uat.realtime.bytes.sent")
            .setUnit("By")
            .setDescription("Bytes of frames written to client connections.")
            .build();
    disconnects =
        m.counterBuilder("uat.realtime.disconnects")
            .setUnit("{connection}")
            .setDescription("Closed connections by close code (4008: slow consumer).")
            .build();
    broadcastDuration =
        m.histogramBuilder("uat.realtime.broadcast.duration")
            .setUnit("s")
            .setDescription("Time to encode a broadcast and queue it for every local recipient.")
            .setExplicitBucketBoundariesAdvice(SECONDS)
            .build();
    pubsubLag =
        m.histogramBuilder("uat.realtime.pubsub.lag")
            .setUnit("s")
            .setDescription("From publication (publisher's clock) to this instance's delivery.")
            .setExplicitBucketBoundariesAdvice(SECONDS)
            .build();
    recoveries =
        m.counterBuilder("uat.realtime.recoveries")
            .setUnit("{subscription}")
            .setDescription("Subscriptions with a position to recover from, by outcome.")
            .build();
    delivery =
        m.histogramBuilder("uat.realtime.delivery.duration")
            .setUnit("s")
            .setDescription(
                "From broadcast to the client's acknowledgement (a round trip to the browser).")
            .setExplicitBucketBoundariesAdvice(SECONDS)
            .build();
    refused =
        m.counterBuilder("uat.realtime.limits.refused")
            .setUnit("{refusal}")
            .setDescription("Connections or frames refused by a limit.")
            .build();
    slowConsumers =
        m.counterBuilder("uat.realtime.slow_consumers")
            .setUnit("{connection}")
            .setDescription("Connections closed (4008) because their outbound queue overflowed.")
            .build();
    dropped =
        m.counterBuilder("uat.realtime.events.dropped")
            .setUnit("{event}")
            .setDescription("Events dropped because the delivery queue was full.")
            .build();
    credentialsClosed =
        m.counterBuilder("uat.realtime.credentials.closed")
            .setUnit("{connection}")
            .setDescription(
                "Connections closed because their credential expired (4001) or was revoked (4003).")
            .build();
    credentialsUnavailable =
        m.counterBuilder("uat.realtime.credentials.unavailable")
            .setUnit("{check}")
            .setDescription(
                "Credential checks the api could not answer (the connection is kept, or at connect"
                    + " told to retry).")
            .build();
    historyDropped =
        m.counterBuilder("uat.realtime.history.dropped")
            .setUnit("{event}")
            .setDescription(
                "Events let go by the in-memory history, by reason (trimmed, budget, expired,"
                    + " stored, too_large).")
            .build();
  }

  /** Publishes the size of {@code history} as gauges. */
  void observe(MemoryHistory history) {
    meter
        .gaugeBuilder("uat.realtime.history.size")
        .ofLongs()
        .setUnit("By")
        .setDescription("Bytes counted for the in-memory history (its budget: historyBytes).")
        .buildWithCallback(g -> g.record(history.bytes()));
    meter
        .gaugeBuilder("uat.realtime.history.events")
        .ofLongs()
        .setUnit("{event}")
        .setDescription("Events kept in the in-memory history.")
        .buildWithCallback(g -> g.record(history.events()));
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
