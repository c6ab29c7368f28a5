package dev.uat.api;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Configuration of the api service. Build with {@link #defaults} and the {@code with…} methods.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param dataDir where the H2 database and the signing key live
 * @param jdbcUrl database URL; null for the embedded H2 file database in {@code dataDir}
 * @param jdbcUser database user (may be null)
 * @param jdbcPassword database password (may be null)
 * @param routerUrl base URL of the LLM router, e.g. {@code http://127.0.0.1:8003}
 * @param defaultModel model asked for when a chat request names none; null lets the router choose
 * @param bcryptCost work factor of the password hash
 * @param maxMessageChars longest chat message accepted
 * @param historyMessages how many earlier messages of a conversation go to the model as context
 * @param routerTimeout how long a chat waits for the router
 * @param limits request rate limits
 */
public record ApiSettings(
    String host,
    int port,
    Path dataDir,
    String jdbcUrl,
    String jdbcUser,
    String jdbcPassword,
    String routerUrl,
    String defaultModel,
    int bcryptCost,
    int maxMessageChars,
    int historyMessages,
    Duration routerTimeout,
    Limits limits) {

  public static final int DEFAULT_PORT = 9999;
  public static final int DEFAULT_BCRYPT_COST = 12;

  /**
   * Rate limits, each a number of events per window per key (0 turns a limit off).
   *
   * @param requestsPerMinute requests per user per minute, any endpoint
   * @param chatsPerMinute chat requests per user per minute
   * @param loginFailuresPerAccount failed logins per account per 15 minutes
   * @param loginsPerIpPerMinute login and register attempts per client address per minute
   */
  public record Limits(
      int requestsPerMinute,
      int chatsPerMinute,
      int loginFailuresPerAccount,
      int loginsPerIpPerMinute) {
    public static final Limits DEFAULT = new Limits(600, 60, 10, 30);
    public static final Limits NONE = new Limits(0, 0, 0, 0);
  }

  public ApiSettings {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(routerTimeout, "routerTimeout");
    requireNonNull(limits, "limits");
    if (bcryptCost < 4 || bcryptCost > 31) {
      throw new IllegalArgumentException("bcryptCost must be within 4..31");
    }
    if (maxMessageChars < 1 || historyMessages < 1) {
      throw new IllegalArgumentException("maxMessageChars and historyMessages must be positive");
    }
  }

  public static ApiSettings defaults(Path dataDir, String routerUrl) {
    return new ApiSettings(
        "127.0.0.1",
        DEFAULT_PORT,
        dataDir,
        null,
        null,
        null,
        routerUrl,
        null,
        DEFAULT_BCRYPT_COST,
        32_000,
        20,
        Duration.ofSeconds(300),
        Limits.DEFAULT);
  }

  public ApiSettings withHost(String host) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        defaultModel,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  public ApiSettings withPort(int port) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        defaultModel,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  public ApiSettings withJdbc(String url, String user, String password) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        url,
        user,
        password,
        routerUrl,
        defaultModel,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  public ApiSettings withBcryptCost(int cost) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        defaultModel,
        cost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  public ApiSettings withDefaultModel(String model) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        model,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  public ApiSettings withRouterTimeout(Duration timeout) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        defaultModel,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        timeout,
        limits);
  }

  public ApiSettings withLimits(Limits limits) {
    return new ApiSettings(
        host,
        port,
        dataDir,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        routerUrl,
        defaultModel,
        bcryptCost,
        maxMessageChars,
        historyMessages,
        routerTimeout,
        limits);
  }

  /** The JDBC URL in effect: the configured one, or the H2 file in the data directory. */
  public String effectiveJdbcUrl() {
    if (jdbcUrl != null) {
      return jdbcUrl;
    }
    // WRITE_DELAY=0: a commit reaches the file before it is acknowledged, so a killed process
    // loses no acknowledged message (docs/durability.md)
    return "jdbc:h2:file:"
        + dataDir.toAbsolutePath().resolve("uat")
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
  }

  @Override
  public String toString() { // never the password
    return "ApiSettings{"
        + host
        + ":"
        + port
        + ", db="
        + effectiveJdbcUrl()
        + ", router="
        + routerUrl
        + "}";
  }
}
