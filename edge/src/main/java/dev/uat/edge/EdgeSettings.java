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
 * @param observatoryUrl the observatory's UI, where the web client links each answer's trace
 */
public record EdgeSettings(
    String host,
    int port,
    String apiUrl,
    String routerUrl,
    String realtimeUrl,
    long maxBodyBytes,
    Duration upstreamTimeout,
    String observatoryUrl) {
  public static final int DEFAULT_PORT = 8000;
  public static final String DEFAULT_OBSERVATORY_URL = "http://127.0.0.1:16686";

  public EdgeSettings {
    requireNonNull(host, "host");
    requireNonNull(observatoryUrl, "observatoryUrl");
    requireNonNull(apiUrl, "apiUrl");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(realtimeUrl, "realtimeUrl");
    requireNonNull(upstreamTimeout, "upstreamTimeout");
  }

  /** The settings with the default observatory URL. */
  public EdgeSettings(
      String host,
      int port,
      String apiUrl,
      String routerUrl,
      String realtimeUrl,
      long maxBodyBytes,
      Duration upstreamTimeout) {
    this(
        host,
        port,
        apiUrl,
        routerUrl,
        realtimeUrl,
        maxBodyBytes,
        upstreamTimeout,
        DEFAULT_OBSERVATORY_URL);
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
        host, port, apiUrl, routerUrl, realtimeUrl, maxBodyBytes, upstreamTimeout, observatoryUrl);
  }

  public EdgeSettings withPort(int port) {
    return new EdgeSettings(
        host, port, apiUrl, routerUrl, realtimeUrl, maxBodyBytes, upstreamTimeout, observatoryUrl);
  }

  /** Where the web client links traces: the observatory's UI ({@code <url>/trace/<id>}). */
  public EdgeSettings withObservatoryUrl(String observatoryUrl) {
    return new EdgeSettings(
        host, port, apiUrl, routerUrl, realtimeUrl, maxBodyBytes, upstreamTimeout, observatoryUrl);
  }
}
