package dev.uat.realtime;

import dev.uat.auth.Credentials;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The parts of one realtime service, wired together. Each says where its work happens:
 *
 * <ul>
 *   <li>{@link ConnectionRegistry}: the open connections and their caps;
 *   <li>{@link FrameProtocol}: the client frames and their answers (on each connection's thread);
 *   <li>{@link SubscriptionAuthorizer}: who may subscribe to which channel;
 *   <li>{@link Membership}: joining (join, read the history, release) and leaving channels;
 *   <li>{@link Delivery}: the ONE delivery thread and the fan-out to a channel's members;
 *   <li>{@link ConnectionChecks}: pings, expiry, revocation and credential re-checks.
 * </ul>
 *
 * <p>Threads: client frames arrive on each connection's own thread (one at a time per connection);
 * events are delivered by the delivery thread; a timer thread runs {@link #tick}, another thread
 * {@link ConnectionChecks#recheck}, and a revocation closes connections on the thread that
 * announces it.
 */
final class Hub {
  final ConnectionRegistry connections;
  final FrameProtocol protocol;
  final ConnectionChecks checks;
  final Delivery delivery;
  final HubMetrics metrics;
  private final History history;

  Hub(
      RealtimeSettings settings,
      Telemetry telemetry,
      HubMetrics metrics,
      Credentials credentials,
      String messagingSystem,
      History history,
      Presence presence,
      ScheduledExecutorService timers) {
    this.metrics = metrics;
    this.history = history;
    this.delivery = new Delivery(settings, telemetry, metrics, messagingSystem, timers);
    Membership membership = new Membership(settings.historySize(), delivery, history, presence);
    this.connections = new ConnectionRegistry(settings, metrics, membership, timers);
    this.protocol =
        new FrameProtocol(
            settings,
            telemetry.tracer(),
            metrics,
            credentials,
            connections,
            membership,
            new SubscriptionAuthorizer(TracedHttpClient.jdk(telemetry), settings.apiUrl()));
    this.checks = new ConnectionChecks(settings, metrics, credentials, connections);
  }

  /** On the timer: connection checks, then the history's and the streams' housekeeping. */
  void tick() {
    checks.tick();
    delivery.execute(history::sweep);
    delivery.sweep();
  }

  /** Closes every connection (1001) and stops the delivery thread. */
  void shutdown() {
    connections.closeAll();
    delivery.shutdown();
  }
}
