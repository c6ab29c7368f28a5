package dev.uat.observatory;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where the observatory listens, how much it keeps, and where its files go.
 *
 * @param host the interface every server binds to
 * @param otlpPort the OTLP/HTTP receiver's port; 0 picks a free one
 * @param queryPort the query API and UI port; 0 picks a free one
 * @param zipkinPort the Zipkin receiver's port; 0 picks a free one
 * @param maxStoreBytes approximate heap the stored spans may take before the oldest traces are
 *     evicted
 * @param dataDir the platform's data directory (the observatory uses {@code <dataDir>/observatory}
 *     for its alert rules and journal), or null for none: shipped alert rules, no persistence
 * @param persist whether to journal received spans to disk and replay them at start (needs a {@code
 *     dataDir})
 * @param token the token the query API and UI require, "" for none; required when the host is not a
 *     loopback address ({@link Observatory#start} refuses to start without one then)
 * @param alertmanagerUrl an Alertmanager to push alerts to ({@code http://host:9093}), "" for none
 * @param allowedHosts host names the query API and UI accept in the {@code Host} header besides
 *     {@code localhost}, {@code 127.0.0.1} and {@code [::1]} (the DNS rebinding defence on
 *     loopback), without port; empty for none
 * @param maxInFlightBytes the receivers' in-flight budget in bytes, 0 for the default derived from
 *     the heap ({@code Pipeline.inFlightBudget(Runtime.maxMemory())})
 * @param otlpGrpcPort the OTLP/gRPC receiver's port (HTTP/2 cleartext); 0 picks a free one
 */
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
    checkPort(otlpPort, "otlpPort");
    checkPort(queryPort, "queryPort");
    checkPort(zipkinPort, "zipkinPort");
    checkPort(otlpGrpcPort, "otlpGrpcPort");
    if (maxStoreBytes <= 0) {
      throw new IllegalArgumentException("maxStoreBytes must be positive: " + maxStoreBytes);
    }
    if (persist && dataDir == null) {
      throw new IllegalArgumentException("persist needs a dataDir");
    }
    requireNonNull(token, "token");
    requireNonNull(alertmanagerUrl, "alertmanagerUrl");
    requireNonNull(allowedHosts, "allowedHosts");
    allowedHosts =
        allowedHosts.stream()
            .map(h -> h.trim().toLowerCase(Locale.ROOT))
            .filter(h -> !h.isEmpty())
            .toList();
    if (maxInFlightBytes < 0) {
      throw new IllegalArgumentException("maxInFlightBytes must not be negative");
    }
  }

  /**
   * No extra allowed hosts, the in-flight budget derived from the heap, OTLP/gRPC on a free port.
   */
  public ObservatorySettings(
      String host,
      int otlpPort,
      int queryPort,
      int zipkinPort,
      long maxStoreBytes,
      Path dataDir,
      boolean persist,
      String token,
      String alertmanagerUrl) {
    this(
        host,
        otlpPort,
        queryPort,
        zipkinPort,
        maxStoreBytes,
        dataDir,
        persist,
        token,
        alertmanagerUrl,
        List.of(),
        0,
        0);
  }

  /**
   * The receivers and query API on these ports, Zipkin on any free port, no data directory, no
   * token, no Alertmanager.
   */
  public ObservatorySettings(String host, int otlpPort, int queryPort, long maxStoreBytes) {
    this(host, otlpPort, queryPort, 0, maxStoreBytes, null, false, "", "");
  }

  /**
   * 127.0.0.1, OTLP/HTTP on 4318, OTLP/gRPC on 4317, query and UI on 16686, Zipkin on 9411, 64 MiB
   * of spans.
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
            "",
            "")
        .withOtlpGrpcPort(DEFAULT_OTLP_GRPC_PORT);
  }

  /** The OTLP/gRPC receiver's port; 0 picks a free one. */
  public ObservatorySettings withOtlpGrpcPort(int port) {
    return new ObservatorySettings(
        host,
        otlpPort,
        queryPort,
        zipkinPort,
        maxStoreBytes,
        dataDir,
        persist,
        token,
        alertmanagerUrl,
        allowedHosts,
        maxInFlightBytes,
        port);
  }

  public ObservatorySettings withZipkinPort(int port) {
    return copy(port, dataDir, persist, token, alertmanagerUrl, allowedHosts, maxInFlightBytes);
  }

  public ObservatorySettings withDataDir(Path dir, boolean persist) {
    return copy(zipkinPort, dir, persist, token, alertmanagerUrl, allowedHosts, maxInFlightBytes);
  }

  public ObservatorySettings withToken(String token) {
    return copy(
        zipkinPort, dataDir, persist, token, alertmanagerUrl, allowedHosts, maxInFlightBytes);
  }

  public ObservatorySettings withAlertmanagerUrl(String url) {
    return copy(zipkinPort, dataDir, persist, token, url, allowedHosts, maxInFlightBytes);
  }

  /** Extra host names the query port accepts in {@code Host} (see {@link #allowedHosts()}). */
  public ObservatorySettings withAllowedHosts(List<String> hosts) {
    return copy(zipkinPort, dataDir, persist, token, alertmanagerUrl, hosts, maxInFlightBytes);
  }

  /** The receivers' in-flight budget in bytes; 0 derives it from the heap. */
  public ObservatorySettings withMaxInFlightBytes(long bytes) {
    return copy(zipkinPort, dataDir, persist, token, alertmanagerUrl, allowedHosts, bytes);
  }

  private ObservatorySettings copy(
      int zipkinPort,
      Path dataDir,
      boolean persist,
      String token,
      String alertmanagerUrl,
      List<String> allowedHosts,
      long maxInFlightBytes) {
    return new ObservatorySettings(
        host,
        otlpPort,
        queryPort,
        zipkinPort,
        maxStoreBytes,
        dataDir,
        persist,
        token,
        alertmanagerUrl,
        allowedHosts,
        maxInFlightBytes,
        otlpGrpcPort);
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

  private static void checkPort(int port, String name) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " out of range: " + port);
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
        + (token.isEmpty() ? "none" : "(set)")
        + ", alertmanagerUrl="
        + alertmanagerUrl
        + ", allowedHosts="
        + allowedHosts
        + ", maxInFlightBytes="
        + maxInFlightBytes
        + "}";
  }
}
