package dev.uat.api;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Configuration of the api service. Start from {@link #defaults(Path, String)} and change what
 * differs with {@link #toBuilder()}; the compact constructor checks every value.
 *
 * @param host interface to bind
 * @param port port, 0 for any free one
 * @param dataDir where the H2 database and the signing key live
 * @param jdbcUrl database URL; null when absent: the embedded H2 file database in {@code dataDir}
 * @param jdbcUser database user; null when absent (none, or the one the URL names)
 * @param jdbcPassword database password; null when absent
 * @param routerUrl base URL of the LLM router, e.g. {@code http://127.0.0.1:8003}
 * @param defaultModel model asked for when a chat request names none; null when absent: the router
 *     chooses
 * @param bcryptCost work factor of the password hash, 4 to 31
 * @param maxMessageChars longest chat message accepted
 * @param historyMessages how many earlier messages of a conversation go to the model as context
 * @param routerTimeout how long a chat waits for the router
 * @param limits request rate limits
 * @param exposure which proxies' {@code X-Forwarded-For} is believed (the client address of rate
 *     limits, sessions and the audit trail) and who may read {@code /metrics}
 */
@RecordBuilder
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
    Limits limits,
    Exposure exposure) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9999;
  public static final int DEFAULT_BCRYPT_COST = 12;

  /** Longest chat message: 32,000 characters (the request body limit leaves room for JSON). */
  public static final int DEFAULT_MAX_MESSAGE_CHARS = 32_000;

  /** Earlier messages sent as a chat's context, at most (fewer past a character budget). */
  public static final int DEFAULT_HISTORY_MESSAGES = 20;

  /** How long a chat waits for the router: a long answer of a slow local model takes minutes. */
  public static final Duration DEFAULT_ROUTER_TIMEOUT = Duration.ofSeconds(300);

  public ApiSettings {
    requireNonNull(host, "host");
    Check.port(port, "port");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(routerUrl, "routerUrl");
    if (bcryptCost < 4 || bcryptCost > 31) {
      throw new IllegalArgumentException("bcryptCost must be within 4..31: " + bcryptCost);
    }
    Check.atLeast(maxMessageChars, 1, "maxMessageChars");
    Check.atLeast(historyMessages, 1, "historyMessages");
    Check.positive(routerTimeout, "routerTimeout");
    requireNonNull(limits, "limits");
    requireNonNull(exposure, "exposure");
  }

  /**
   * The defaults, with what has none: the data directory and the router's base URL. Loopback only,
   * port {@value #DEFAULT_PORT}, the embedded H2 database, {@link Limits#defaults()}.
   */
  public static ApiSettings defaults(Path dataDir, String routerUrl) {
    return new ApiSettings(
        DEFAULT_HOST,
        DEFAULT_PORT,
        dataDir,
        null,
        null,
        null,
        routerUrl,
        null,
        DEFAULT_BCRYPT_COST,
        DEFAULT_MAX_MESSAGE_CHARS,
        DEFAULT_HISTORY_MESSAGES,
        DEFAULT_ROUTER_TIMEOUT,
        Limits.defaults(),
        Exposure.LOOPBACK);
  }

  /** A builder holding these settings: change what differs, then {@code build()}. */
  public ApiSettingsBuilder toBuilder() {
    return ApiSettingsBuilder.builder(this);
  }

  /** The JDBC URL in effect: the configured one, or the H2 file in the data directory. */
  public String effectiveJdbcUrl() {
    if (jdbcUrl != null) {
      return jdbcUrl;
    }
    // WRITE_DELAY=0: a commit reaches the file before it is acknowledged, so a killed process
    // loses no acknowledged message (docs/durability.md). PAGE_SIZE=4096 (H2's default 16 KiB):
    // each commit rewrites the B-tree pages it changed, and with time-ordered ids those are the
    // right-hand leaves, which are smaller this way (one connection's chat p50 0.89x,
    // docs/benchmarks.md)
    return "jdbc:h2:file:"
        + dataDir.toAbsolutePath().resolve("uat")
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;PAGE_SIZE=4096";
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

  /**
   * Rate limits, each a number of events per window per key; 0 turns a limit off. Start from {@link
   * #defaults()} and change what differs with {@link #toBuilder()}.
   *
   * @param requestsPerMinute requests per user per minute, any endpoint
   * @param chatsPerMinute chat requests per user per minute
   * @param loginFailuresBeforeBackoff failed passwords of one (account, client address) pair before
   *     that pair backs off exponentially (never a lock of the account itself)
   * @param loginsPerIpPerMinute login and register attempts per client address per minute
   */
  @RecordBuilder
  public record Limits(
      int requestsPerMinute,
      int chatsPerMinute,
      int loginFailuresBeforeBackoff,
      int loginsPerIpPerMinute) {
    public static final int DEFAULT_REQUESTS_PER_MINUTE = 600;
    public static final int DEFAULT_CHATS_PER_MINUTE = 60;
    public static final int DEFAULT_LOGIN_FAILURES_BEFORE_BACKOFF = 10;
    public static final int DEFAULT_LOGINS_PER_IP_PER_MINUTE = 30;

    public Limits {
      Check.atLeast(requestsPerMinute, 0, "requestsPerMinute");
      Check.atLeast(chatsPerMinute, 0, "chatsPerMinute");
      Check.atLeast(loginFailuresBeforeBackoff, 0, "loginFailuresBeforeBackoff");
      Check.atLeast(loginsPerIpPerMinute, 0, "loginsPerIpPerMinute");
    }

    public static Limits defaults() {
      return new Limits(
          DEFAULT_REQUESTS_PER_MINUTE,
          DEFAULT_CHATS_PER_MINUTE,
          DEFAULT_LOGIN_FAILURES_BEFORE_BACKOFF,
          DEFAULT_LOGINS_PER_IP_PER_MINUTE);
    }

    /** A builder holding these settings: change what differs, then {@code build()}. */
    public ApiSettingsLimitsBuilder toBuilder() {
      return ApiSettingsLimitsBuilder.builder(this);
    }
  }
}
