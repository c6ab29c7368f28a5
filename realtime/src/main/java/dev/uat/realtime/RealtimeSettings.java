package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;

/**
 * Configuration of the realtime hub. Start from {@link #defaults(String)} and change what differs
 * with {@link #toBuilder()}.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param apiUrl base URL of the api, which decides who may subscribe to a conversation
 * @param authTimeout how long a new connection may stay unauthenticated
 * @param maxFrameBytes largest text frame a client may send (larger: closed with 1009)
 * @param queryTokenEnabled whether {@code ?token=} authenticates the upgrade (off: tokens in URLs
 *     end up in logs)
 * @param maxQueueBytes outbound bytes a connection may have waiting; more closes it with 4008
 * @param pingInterval how often the server sends {@code {"type":"ping"}} to a quiet client
 * @param pongTimeout how long after a ping the client has to send something (its pong) before it is
 *     closed with 4009
 * @param maxConnections open connections this instance accepts (more: closed with 1013); sized to
 *     the heap (~13 KB each)
 * @param maxConnectionsPerUser connections one user may hold on this instance (more: 4029)
 * @param maxFramesPerSecond sustained client frames per second; more are refused with {@code
 *     rate_limited} (bursts of twice this are allowed)
 * @param maxSubscriptions channels one connection may be subscribed to
 * @param historySize events kept per channel for recovery (and most replayed at once)
 * @param historyAge how long an event stays recoverable
 * @param deltaInterval shortest time between two {@code message.delta} frames of one stream (40 ms:
 *     at most 25 frames per second)
 * @param ackWindow how long a delivery span waits for the acknowledgements of clients that
 *     acknowledge
 * @param historyBytes bytes of history kept in memory across all channels (each event weighed by
 *     its serialized JSON); past it the channels quiet longest are forgotten
 * @param maxUnauthenticatedPerAddress connections one client address may hold open before they
 *     authenticate (more: the upgrade is refused with 429)
 * @param credentialRecheck how often every open connection's credential is checked again (a revoked
 *     session or key closes it with 4003, an expired one with 4001)
 * @param exposure which proxies' {@code X-Forwarded-For} is believed, who may read {@code /metrics}
 */
@RecordBuilder
public record RealtimeSettings(
    String host,
    int port,
    String apiUrl,
    Duration authTimeout,
    int maxFrameBytes,
    boolean queryTokenEnabled,
    long maxQueueBytes,
    Duration pingInterval,
    Duration pongTimeout,
    int maxConnections,
    int maxConnectionsPerUser,
    int maxFramesPerSecond,
    int maxSubscriptions,
    int historySize,
    Duration historyAge,
    Duration deltaInterval,
    Duration ackWindow,
    long historyBytes,
    int maxUnauthenticatedPerAddress,
    Duration credentialRecheck,
    Exposure exposure) {
  /** Interface bound by default: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  public static final int DEFAULT_PORT = 8002;

  /** How long a new connection may stay unauthenticated. */
  public static final Duration DEFAULT_AUTH_TIMEOUT = Duration.ofSeconds(10);

  /** Largest client frame: 64 KiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

  public static final long DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
  public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(8);

  /** Connections one user may hold on one instance (tabs, devices). */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_USER = 32;

  public static final int DEFAULT_MAX_FRAMES_PER_SECOND = 50;
  public static final int DEFAULT_MAX_SUBSCRIPTIONS = 64;
  public static final int DEFAULT_HISTORY_SIZE = 1000;
  public static final Duration DEFAULT_HISTORY_AGE = Duration.ofMinutes(5);

  /** At most 25 {@code message.delta} frames per second per stream. */
  public static final Duration DEFAULT_DELTA_INTERVAL = Duration.ofMillis(40);

  public static final Duration DEFAULT_ACK_WINDOW = Duration.ofSeconds(5);

  /** Bytes of in-memory history across all channels: 16 MiB, small against a 256 MiB heap. */
  public static final long DEFAULT_HISTORY_BYTES = 16L * 1024 * 1024;

  /** Unauthenticated connections one address may hold (a browser opens one or two). */
  public static final int DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS = 16;

  /**
   * Open connections per instance: a bare WebSocket costs ~13 KB of heap in Jetty and Javalin, so
   * 2,048 stay under 30 MB of the all-in-one's 256 MiB.
   */
  public static final int DEFAULT_MAX_CONNECTIONS = 2048;

  /** How often open connections' credentials are checked again (answers are cached 5 s). */
  public static final Duration DEFAULT_CREDENTIAL_RECHECK = Duration.ofSeconds(2);

  public RealtimeSettings {
    requireNonNull(host, "host");
    Check.port(port, "port");
    requireNonNull(apiUrl, "apiUrl");
    Check.positive(authTimeout, "authTimeout");
    Check.positive(pingInterval, "pingInterval");
    Check.positive(pongTimeout, "pongTimeout");
    Check.positive(historyAge, "historyAge");
    Check.positive(deltaInterval, "deltaInterval");
    Check.positive(ackWindow, "ackWindow");
    Check.positive(credentialRecheck, "credentialRecheck");
    requireNonNull(exposure, "exposure");
    Check.atLeast(historyBytes, 64 * 1024, "historyBytes");
    Check.atLeast(maxUnauthenticatedPerAddress, 1, "maxUnauthenticatedPerAddress");
    Check.atLeast(maxFrameBytes, 256, "maxFrameBytes");
    Check.atLeast(maxQueueBytes, 1024, "maxQueueBytes");
    Check.atLeast(maxConnections, 1, "maxConnections");
    Check.atLeast(maxConnectionsPerUser, 1, "maxConnectionsPerUser");
    Check.atLeast(maxFramesPerSecond, 1, "maxFramesPerSecond");
    Check.atLeast(maxSubscriptions, 1, "maxSubscriptions");
    Check.atLeast(historySize, 1, "historySize");
  }

  /** The defaults, with the api at {@code apiUrl} (the one setting without a default). */
  public static RealtimeSettings defaults(String apiUrl) {
    return new RealtimeSettings(
        DEFAULT_HOST,
        DEFAULT_PORT,
        apiUrl,
        DEFAULT_AUTH_TIMEOUT,
        DEFAULT_MAX_FRAME_BYTES,
        false,
        DEFAULT_MAX_QUEUE_BYTES,
        DEFAULT_PING_INTERVAL,
        DEFAULT_PONG_TIMEOUT,
        DEFAULT_MAX_CONNECTIONS,
        DEFAULT_MAX_CONNECTIONS_PER_USER,
        DEFAULT_MAX_FRAMES_PER_SECOND,
        DEFAULT_MAX_SUBSCRIPTIONS,
        DEFAULT_HISTORY_SIZE,
        DEFAULT_HISTORY_AGE,
        DEFAULT_DELTA_INTERVAL,
        DEFAULT_ACK_WINDOW,
        DEFAULT_HISTORY_BYTES,
        DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS,
        DEFAULT_CREDENTIAL_RECHECK,
        Exposure.LOOPBACK);
  }

  /** A builder holding these settings: change what differs, then {@code build()}. */
  public RealtimeSettingsBuilder toBuilder() {
    return RealtimeSettingsBuilder.builder(this);
  }
}
