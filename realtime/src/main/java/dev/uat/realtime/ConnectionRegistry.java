package dev.uat.realtime;

import static dev.uat.realtime.RealtimeAttributes.CLOSE_CODE;

import io.opentelemetry.api.common.Attributes;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open connections of one instance and their caps: {@link RealtimeSettings#maxConnections()} in
 * all, {@link RealtimeSettings#maxUnauthenticatedPerAddress()} per client address before they
 * authenticate, {@link RealtimeSettings#maxConnectionsPerUser()} per user. Also what connections
 * report back (bytes written, overflow). Thread-safe.
 */
final class ConnectionRegistry implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(ConnectionRegistry.class);

  private final RealtimeSettings settings;
  private final HubMetrics metrics;
  private final Membership membership;
  private final ScheduledExecutorService timers;

  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();

  /** Unauthenticated connections per client address; an entry only while one is open. */
  private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

  ConnectionRegistry(
      RealtimeSettings settings,
      HubMetrics metrics,
      Membership membership,
      ScheduledExecutorService timers) {
    this.settings = settings;
    this.metrics = metrics;
    this.membership = membership;
    this.timers = timers;
  }

  /**
   * Whether {@code address} may open one more connection before authenticating (checked before the
   * upgrade; {@link #opened} enforces it).
   */
  boolean admits(String address) {
    AtomicInteger n = perAddress.get(address);
    return n == null || n.get() < settings.maxUnauthenticatedPerAddress();
  }

  /**
   * A new WebSocket from {@code address}; null (and closed) when this instance is full (1013) or
   * the address holds too many unauthenticated connections already (4030).
   */
  Connection opened(String id, Session session, String address) {
    if (connections.size() >= settings.maxConnections()) {
      metrics.refused("connections");
      session.close(Connection.SERVER_FULL, "server full, try again later", Callback.NOOP);
      return null;
    }
    AtomicInteger pending = perAddress.computeIfAbsent(address, k -> new AtomicInteger());
    if (pending.incrementAndGet() > settings.maxUnauthenticatedPerAddress()) {
      unauthenticatedGone(address);
      metrics.refused("unauthenticated_per_address");
      session.close(
          Connection.TOO_MANY_UNAUTHENTICATED,
          "too many unauthenticated connections from this address",
          Callback.NOOP);
      return null;
    }
    Connection c = new Connection(id, session, address, settings.maxQueueBytes(), this);
    connections.put(id, c);
    metrics.active.add(1);
    return c;
  }

  /**
   * Counts one more connection of {@code userId}; false (and not counted) when the user has {@link
   * RealtimeSettings#maxConnectionsPerUser()} already.
   */
  boolean countUser(String userId) {
    AtomicInteger count = perUser.computeIfAbsent(userId, k -> new AtomicInteger());
    if (count.incrementAndGet() > settings.maxConnectionsPerUser()) {
      count.decrementAndGet();
      return false;
    }
    return true;
  }

  /** {@code c} no longer counts against its address's cap (authenticated or gone); once. */
  void authenticatedOrGone(Connection c) {
    if (c.unauthenticated.compareAndSet(true, false)) {
      unauthenticatedGone(c.address);
    }
  }

  private void unauthenticatedGone(String address) {
    perAddress.computeIfPresent(address, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  Connection connection(String id) {
    return connections.get(id);
  }

  /** Every open connection (a live view). */
  Collection<Connection> all() {
    return connections.values();
  }

  int count() {
    return connections.size();
  }

  /** The WebSocket {@code id} closed with {@code status}: its subscriptions end. */
  void closed(String id, int status) {
    Connection c = connections.remove(id);
    if (c == null) {
      return;
    }
    metrics.active.add(-1);
    authenticatedOrGone(c);
    int code = c.closeCode != 0 ? c.closeCode : status;
    metrics.disconnects.add(1, Attributes.of(CLOSE_CODE, (long) code));
    metrics.connectionDuration.record((System.nanoTime() - c.openedNanos) / 1e9);
    for (Subscription s : c.subscriptions.values()) {
      membership.leave(s);
    }
    c.subscriptions.clear();
    String user = c.userId();
    if (user != null) {
      perUser.computeIfPresent(user, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
  }

  /** Drops {@code c} in 5 s: a client that does not read may never take the close frame either. */
  void disconnectLater(Connection c) {
    timers.schedule(c::disconnect, 5, TimeUnit.SECONDS);
  }

  @Override
  public void sent(Connection c, int bytes) {
    metrics.bytesSent.add(bytes);
  }

  @Override
  public void overflowed(Connection c) {
    log.info("closing slow consumer {} ({} bytes waiting)", c, settings.maxQueueBytes());
    metrics.slowConsumers.add(1);
    c.close(Connection.SLOW_CONSUMER, "slow consumer");
    disconnectLater(c);
  }

  /** Closes every connection with 1001. */
  void closeAll() {
    for (Connection c : connections.values()) {
      c.close(Connection.GOING_AWAY, "server shutting down");
    }
  }
}
