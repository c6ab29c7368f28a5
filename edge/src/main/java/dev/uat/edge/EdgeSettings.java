package dev.uat.edge;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
import io.soabase.recordbuilder.core.RecordBuilder;
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
@RecordBuilder
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

  /** A builder holding these settings: change what differs, then {@code build()}. */
  public EdgeSettingsBuilder toBuilder() {
    return EdgeSettingsBuilder.builder(this);
  }
}
