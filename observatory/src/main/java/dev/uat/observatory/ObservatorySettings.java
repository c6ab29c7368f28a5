package dev.uat.observatory;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.ingest.Pipeline;
import dev.uat.settings.Check;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where the observatory listens, how much it keeps, and where its files go. Start from {@link
 * #defaults()} and change what differs with {@link #toBuilder()}.
 *
 * @param host the interface every server binds to
 * @param otlpPort the OTLP/HTTP receiver's port; 0 picks a free one
 * @param queryPort the query API and UI port; 0 picks a free one
 * @param zipkinPort the Zipkin receiver's port; 0 picks a free one
 * @param maxStoreBytes approximate heap the stored spans may take before the oldest traces are
 *     evicted
 * @param dataDir the platform's data directory (the observatory uses {@code <dataDir>/observatory}
 *     for its alert rules and journal), null for none: shipped alert rules, no persistence
 * @param persist whether to journal received spans to disk and replay them at start (needs a {@code
 *     dataDir})
 * @param token the token the query API and UI require, null when none is required; required when
 *     the host is not a loopback address ({@link Observatory#start} refuses to start without one
 *     then)
 * @param alertmanagerUrl an Alertmanager to push alerts to ({@code http://host:9093}), null for
 *     none
 * @param allowedHosts host names the query API and UI accept in the {@code Host} header besides
 *     {@code localhost}, {@code 127.0.0.1} and {@code [::1]} (the DNS rebinding defence on
 *     loopback), without port; empty for none
 * @param maxInFlightBytes the receivers' in-flight budget in bytes (by default derived from the
 *     heap: {@link Pipeline#defaultInFlightBudget()})
 * @param otlpGrpcPort the OTLP/gRPC receiver's port (HTTP/2 cleartext); 0 picks a free one
 */
@RecordBuilder
public record ObservatorySettings(
    String host,
    int otlpPort,
    int queryPort,
    int zipkinPort,
    long maxStoreBytes,
    Path dataDir,
    boolean persist,
    String token,
    String alertmanagerUrl,
    List<String> allowedHosts,
    long maxInFlightBytes,
    int otlpGrpcPort) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_OTLP_PORT = 4318;
  public static final int DEFAULT_OTLP_GRPC_PORT = 4317;
  public static final int DEFAULT_QUERY_PORT = 16686;
  public static final int DEFAULT_ZIPKIN_PORT = 9411;
  public static final long DEFAULT_MAX_STORE_BYTES = 64L * 1024 * 1024;

  public ObservatorySettings {
    requireNonNull(host, "host");
    Check.port(otlpPort, "otlpPort");
    Check.port(queryPort, "queryPort");
    Check.port(zipkinPort, "zipkinPort");
    Check.port(otlpGrpcPort, "otlpGrpcPort");
    Check.atLeast(maxStoreBytes, 1, "maxStoreBytes");
    Check.atLeast(maxInFlightBytes, 1, "maxInFlightBytes");
    if (persist && dataDir == null) {
      throw new IllegalArgumentException("persist needs a dataDir");
    }
    if (token != null && token.isBlank()) {
      throw new IllegalArgumentException("token must not be blank (null for none)");
    }
    if (alertmanagerUrl != null && alertmanagerUrl.isBlank()) {
      throw new IllegalArgumentException("alertmanagerUrl must not be blank (null for none)");
    }
    requireNonNull(allowedHosts, "allowedHosts");
    allowedHosts =
        allowedHosts.stream()
            .map(h -> h.trim().toLowerCase(Locale.ROOT))
            .filter(h -> !h.isEmpty())
            .toList();
  }

  /**
   * 127.0.0.1, OTLP/HTTP on 4318, OTLP/gRPC on 4317, query and UI on 16686, Zipkin on 9411, 64 MiB
   * of spans, no data directory, no token, no Alertmanager, the in-flight budget derived from the
   * heap.
   */
  public static ObservatorySettings defaults() {
    return new ObservatorySettings(
        DEFAULT_HOST,
        DEFAULT_OTLP_PORT,
        DEFAULT_QUERY_PORT,
        DEFAULT_ZIPKIN_PORT,
        DEFAULT_MAX_STORE_BYTES,
        null,
        false,
        null,
        null,
        List.of(),
        Pipeline.defaultInFlightBudget(),
        DEFAULT_OTLP_GRPC_PORT);
  }

  /** A builder holding these settings: change what differs, then {@code build()}. */
  public ObservatorySettingsBuilder toBuilder() {
    return ObservatorySettingsBuilder.builder(this);
  }

  /** Whether {@link #host()} is a loopback address (no token needed then). */
  public boolean loopback() {
    if (host.equals("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "ObservatorySettings{host="
        + host
        + ", otlpPort="
        + otlpPort
        + ", otlpGrpcPort="
        + otlpGrpcPort
        + ", queryPort="
        + queryPort
        + ", zipkinPort="
        + zipkinPort
        + ", maxStoreBytes="
        + maxStoreBytes
        + ", dataDir="
        + dataDir
        + ", persist="
        + persist
        + ", token="
        + (token == null ? "none" : "(set)")
        + ", alertmanagerUrl="
        + alertmanagerUrl
        + ", allowedHosts="
        + allowedHosts
        + ", maxInFlightBytes="
        + maxInFlightBytes
        + "}";
  }
}
