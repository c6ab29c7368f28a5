package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Configuration of the realtime hub.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param apiUrl base URL of the api, which decides who may subscribe to a conversation
 * @param authTimeout how long a new connection may stay unauthenticated
 * @param maxFrameBytes largest text frame a client may send
 * @param queryTokenEnabled whether {@code ?token=} authenticates the upgrade (off: tokens in URLs
 *     end up in logs)
 */
public record RealtimeSettings(
    String host,
    int port,
    String apiUrl,
    Duration authTimeout,
    int maxFrameBytes,
    boolean queryTokenEnabled) {
  public static final int DEFAULT_PORT = 8002;

  public RealtimeSettings {
    requireNonNull(host, "host");
    requireNonNull(apiUrl, "apiUrl");
    requireNonNull(authTimeout, "authTimeout");
  }

  public static RealtimeSettings defaults(String apiUrl) {
    return new RealtimeSettings(
        "127.0.0.1", DEFAULT_PORT, apiUrl, Duration.ofSeconds(10), 64 * 1024, false);
  }

  public RealtimeSettings withHost(String host) {
    return new RealtimeSettings(host, port, apiUrl, authTimeout, maxFrameBytes, queryTokenEnabled);
  }

  public RealtimeSettings withPort(int port) {
    return new RealtimeSettings(host, port, apiUrl, authTimeout, maxFrameBytes, queryTokenEnabled);
  }
}
