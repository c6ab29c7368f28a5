package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Configuration of the edge gateway.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param apiUrl where {@code /api/*} goes
 * @param routerUrl where {@code /v1/*} goes
 * @param realtimeUrl where {@code /ws} goes (http URL; the edge speaks ws to it)
 * @param maxBodyBytes largest request body passed on
 * @param upstreamTimeout how long to wait for an upstream's response headers (a model may think)
 */
public record EdgeSettings(
    String host,
    int port,
    String apiUrl,
    String routerUrl,
    String realtimeUrl,
    long maxBodyBytes,
    Duration upstreamTimeout) {
  public static final int DEFAULT_PORT = 8000;

  public EdgeSettings {
    requireNonNull(host, "host");
    requireNonNull(apiUrl, "apiUrl");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(realtimeUrl, "realtimeUrl");
    requireNonNull(upstreamTimeout, "upstreamTimeout");
  }

  public static EdgeSettings defaults(String apiUrl, String routerUrl, String realtimeUrl) {
    return new EdgeSettings(
        "127.0.0.1",
        DEFAULT_PORT,
        apiUrl,
        routerUrl,
        realtimeUrl,
        1024 * 1024,
        Duration.ofSeconds(300));
  }

  public EdgeSettings withHost(String host) {
    return new EdgeSettings(
        host, port, apiUrl, routerUrl, realtimeUrl, maxBodyBytes, upstreamTimeout);
  }

  public EdgeSettings withPort(int port) {
    return new EdgeSettings(
        host, port, apiUrl, routerUrl, realtimeUrl, maxBodyBytes, upstreamTimeout);
  }
}
