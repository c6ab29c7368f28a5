package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
import java.time.Duration;

/**
 * Configuration of the edge gateway. Immutable and validated on construction; start from {@link
 * #defaults} and change it through {@link #toBuilder()}.
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
 * @param maxInFlightBodyBytes request body bytes the edge holds at once, over all requests (at
 *     least {@code maxBodyBytes}); a request that would go past it is answered 503 with {@code
 *     Retry-After}
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
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8000;
  public static final String DEFAULT_OBSERVATORY_URL = "http://127.0.0.1:16686";

  /** Largest request body (after decompression): 1 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /** How long an upstream may take to answer with its headers: 300 s (a model may think). */
  public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(300);

  /**
   * Request body bytes held over all requests at once: 16 MiB, so 16 maximal bodies in flight, and
   * a small share of the all-in-one's 256 MiB heap however many connections a client opens.
   */
  public static final long DEFAULT_MAX_IN_FLIGHT_BODY_BYTES = 16L * 1024 * 1024;

  public EdgeSettings {
    requireNonNull(host, "host");
    Check.port(port, "port");
    requireNonNull(apiUrl, "apiUrl");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(realtimeUrl, "realtimeUrl");
    Check.atLeast(maxBodyBytes, 1, "maxBodyBytes");
    Check.positive(upstreamTimeout, "upstreamTimeout");
    requireNonNull(observatoryUrl, "observatoryUrl");
    requireNonNull(exposure, "exposure");
    Check.atLeast(maxInFlightBodyBytes, maxBodyBytes, "maxInFlightBodyBytes");
  }

  /** The defaults: loopback on {@link #DEFAULT_PORT}, in front of these three components. */
  public static EdgeSettings defaults(String apiUrl, String routerUrl, String realtimeUrl) {
    return new EdgeSettings(
        DEFAULT_HOST,
        DEFAULT_PORT,
        apiUrl,
        routerUrl,
        realtimeUrl,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_UPSTREAM_TIMEOUT,
        DEFAULT_OBSERVATORY_URL,
        Exposure.LOOPBACK,
        DEFAULT_MAX_IN_FLIGHT_BODY_BYTES);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some settings; {@link #build()} validates them all. Not thread-safe. */
  public static final class Builder {
    private String host;
    private int port;
    private String apiUrl;
    private String routerUrl;
    private String realtimeUrl;
    private long maxBodyBytes;
    private Duration upstreamTimeout;
    private String observatoryUrl;
    private Exposure exposure;
    private long maxInFlightBodyBytes;

    private Builder(EdgeSettings s) {
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

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder apiUrl(String apiUrl) {
      this.apiUrl = apiUrl;
      return this;
    }

    public Builder routerUrl(String routerUrl) {
      this.routerUrl = routerUrl;
      return this;
    }

    public Builder realtimeUrl(String realtimeUrl) {
      this.realtimeUrl = realtimeUrl;
      return this;
    }

    /** Largest request body, after decompression; the in-flight budget grows to hold one. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
      this.maxInFlightBodyBytes = Math.max(this.maxInFlightBodyBytes, maxBodyBytes);
      return this;
    }

    public Builder upstreamTimeout(Duration upstreamTimeout) {
      this.upstreamTimeout = upstreamTimeout;
      return this;
    }

    /** Where the web client links traces: the observatory's UI ({@code <url>/trace/<id>}). */
    public Builder observatoryUrl(String observatoryUrl) {
      this.observatoryUrl = observatoryUrl;
      return this;
    }

    /** Trusted proxies and {@code /metrics} readers; default {@link Exposure#LOOPBACK}. */
    public Builder exposure(Exposure exposure) {
      this.exposure = exposure;
      return this;
    }

    /** Request body bytes held at once over all requests (at least {@code maxBodyBytes}). */
    public Builder maxInFlightBodyBytes(long maxInFlightBodyBytes) {
      this.maxInFlightBodyBytes = maxInFlightBodyBytes;
      return this;
    }

    public EdgeSettings build() {
      return new EdgeSettings(
          host,
          port,
          apiUrl,
          routerUrl,
          realtimeUrl,
          maxBodyBytes,
          upstreamTimeout,
          observatoryUrl,
          exposure,
          maxInFlightBodyBytes);
    }
  }
}
