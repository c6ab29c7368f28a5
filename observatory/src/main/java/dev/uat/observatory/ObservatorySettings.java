package dev.uat.observatory;

import static java.util.Objects.requireNonNull;

/**
 * Where the observatory listens and how much it keeps.
 *
 * @param host the interface both servers bind to
 * @param otlpPort the OTLP/HTTP receiver's port; 0 picks a free one
 * @param queryPort the query API's port; 0 picks a free one
 * @param maxStoreBytes approximate heap the stored spans may take before the oldest traces are
 *     evicted
 */
public record ObservatorySettings(String host, int otlpPort, int queryPort, long maxStoreBytes) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_OTLP_PORT = 4318;
  public static final int DEFAULT_QUERY_PORT = 16686;
  public static final long DEFAULT_MAX_STORE_BYTES = 64L * 1024 * 1024;

  public ObservatorySettings {
    requireNonNull(host, "host");
    checkPort(otlpPort, "otlpPort");
    checkPort(queryPort, "queryPort");
    if (maxStoreBytes <= 0) {
      throw new IllegalArgumentException("maxStoreBytes must be positive: " + maxStoreBytes);
    }
  }

  /** 127.0.0.1, OTLP on 4318, query on 16686, 64 MiB of spans. */
  public static ObservatorySettings defaults() {
    return new ObservatorySettings(
        DEFAULT_HOST, DEFAULT_OTLP_PORT, DEFAULT_QUERY_PORT, DEFAULT_MAX_STORE_BYTES);
  }

  private static void checkPort(int port, String name) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " out of range: " + port);
    }
  }
}
