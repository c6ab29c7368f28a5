package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import dev.uat.web.Exposure;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Configuration of the edge gateway. Immutable; start from {@link #defaults} and change it with the
 * {@code with…} methods, which validate what they are given.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param apiUrl where {@code /api/*} goes
 * @param routerUrl where {@code /v1/*} goes
 * @param realtimeUrl where {@code /ws} goes (http URL; the edge speaks ws to it)
 * @param maxBodyBytes largest request body passed on, counted after decompression
 * @param upstreamTimeout how long to wait for an upstream's response headers (a model may think)
 * @param observatoryUrl the observatory's UI, where the web client links each answer's trace
 * @param exposure which peers are proxies whose {@code X-Forwarded-*} headers are believed, and
 *     which peers may read the edge's {@code /metrics}
 * @param maxInFlightBodyBytes request body bytes the edge holds at once, over all requests; a
 *     request that would go past it is answered 503 with {@code Retry-After}
 */
public record EdgeSettings(
    String host,
    int port,
    String apiUrl,
    String routerUrl,
    String realtimeUrl,
    long maxBodyBytes,
    Duration upstreamTimeout,
    String observatoryUrl,
    Exposure exposure,
    long maxInFlightBodyBytes) {
  public static final int DEFAULT_PORT = 8000;
  public static final String DEFAULT_OBSERVATORY_URL = "http://127.0.0.1:16686";

  /** Largest request body (after decompression): 1 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /**
   * Request body bytes held over all requests at once: 16 MiB, so 16 maximal bodies in flight, and
   * a small share of the all-in-one's 256 MiB heap however many connections a client opens.
   */
  public static final long DEFAULT_MAX_IN_FLIGHT_BODY_BYTES = 16L * 1024 * 1024;

  public EdgeSettings {
    requireNonNull(host, "host");
    requireNonNull(observatoryUrl, "observatoryUrl");
    requireNonNull(apiUrl, "apiUrl");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(realtimeUrl, "realtimeUrl");
    requireNonNull(upstreamTimeout, "upstreamTimeout");
    requireNonNull(exposure, "exposure");
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("maxBodyBytes must be positive");
    }
    if (maxInFlightBodyBytes < maxBodyBytes) {
      throw new IllegalArgumentException(
          "maxInFlightBodyBytes must be at least maxBodyBytes (" + maxBodyBytes + ")");
    }
  }

  /**
   * The settings with the default observatory URL, {@link Exposure#LOOPBACK} and the default
   * in-flight budget (at least {@code maxBodyBytes}).
   */
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
        DEFAULT_OBSERVATORY_URL,
        Exposure.LOOPBACK,
        Math.max(DEFAULT_MAX_IN_FLIGHT_BODY_BYTES, maxBodyBytes));
  }

  public static EdgeSettings defaults(String apiUrl, String routerUrl, String realtimeUrl) {
    return new EdgeSettings(
        "127.0.0.1",
        DEFAULT_PORT,
        apiUrl,
        routerUrl,
        realtimeUrl,
        DEFAULT_MAX_BODY_BYTES,
        Duration.ofSeconds(300));
  }

  public EdgeSettings withHost(String host) {
    return copy(c -> c.host = host);
  }

  public EdgeSettings withPort(int port) {
    return copy(c -> c.port = port);
  }

  /** Where the web client links traces: the observatory's UI ({@code <url>/trace/<id>}). */
  public EdgeSettings withObservatoryUrl(String observatoryUrl) {
    return copy(c -> c.observatoryUrl = observatoryUrl);
  }

  /** Trusted proxies and {@code /metrics} readers; default {@link Exposure#LOOPBACK}. */
  public EdgeSettings withExposure(Exposure exposure) {
    return copy(c -> c.exposure = exposure);
  }

  /** Largest request body, after decompression; the in-flight budget grows to hold one. */
  public EdgeSettings withMaxBodyBytes(long maxBodyBytes) {
    return copy(
        c -> {
          c.maxBodyBytes = maxBodyBytes;
          c.maxInFlightBodyBytes = Math.max(c.maxInFlightBodyBytes, maxBodyBytes);
        });
  }

  /** Request body bytes held at once over all requests (at least {@link #maxBodyBytes()}). */
  public EdgeSettings withMaxInFlightBodyBytes(long maxInFlightBodyBytes) {
    return copy(c -> c.maxInFlightBodyBytes = maxInFlightBodyBytes);
  }

  private EdgeSettings copy(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new EdgeSettings(
        c.host,
        c.port,
        c.apiUrl,
        c.routerUrl,
        c.realtimeUrl,
        c.maxBodyBytes,
        c.upstreamTimeout,
        c.observatoryUrl,
        c.exposure,
        c.maxInFlightBodyBytes);
  }

  /** A changeable copy, for the {@code with…} methods: one place that names every field. */
  private static final class Copy {
    String host;
    int port;
    String apiUrl;
    String routerUrl;
    String realtimeUrl;
    long maxBodyBytes;
    Duration upstreamTimeout;
    String observatoryUrl;
    Exposure exposure;
    long maxInFlightBodyBytes;

    Copy(EdgeSettings s) {
      host = s.host;
      port = s.port;
      apiUrl = s.apiUrl;
      routerUrl = s.routerUrl;
      realtimeUrl = s.realtimeUrl;
      maxBodyBytes = s.maxBodyBytes;
      upstreamTimeout = s.upstreamTimeout;
      observatoryUrl = s.observatoryUrl;
      exposure = s.exposure;
      maxInFlightBodyBytes = s.maxInFlightBodyBytes;
    }
  }
}
