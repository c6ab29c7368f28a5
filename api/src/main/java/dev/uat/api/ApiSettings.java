package dev.uat.api;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
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

  public Builder toBuilder() {
    return new Builder(this);
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

    public Builder toBuilder() {
      return new Builder(this);
    }

    /** Changes some limits; {@link #build()} checks them all. */
    public static final class Builder {
      private int requestsPerMinute;
      private int chatsPerMinute;
      private int loginFailuresBeforeBackoff;
      private int loginsPerIpPerMinute;

      private Builder(Limits l) {
        requestsPerMinute = l.requestsPerMinute;
        chatsPerMinute = l.chatsPerMinute;
        loginFailuresBeforeBackoff = l.loginFailuresBeforeBackoff;
        loginsPerIpPerMinute = l.loginsPerIpPerMinute;
      }

      public Builder requestsPerMinute(int requestsPerMinute) {
        this.requestsPerMinute = requestsPerMinute;
        return this;
      }

      public Builder chatsPerMinute(int chatsPerMinute) {
        this.chatsPerMinute = chatsPerMinute;
        return this;
      }

      public Builder loginFailuresBeforeBackoff(int loginFailuresBeforeBackoff) {
        this.loginFailuresBeforeBackoff = loginFailuresBeforeBackoff;
        return this;
      }

      public Builder loginsPerIpPerMinute(int loginsPerIpPerMinute) {
        this.loginsPerIpPerMinute = loginsPerIpPerMinute;
        return this;
      }

      public Limits build() {
        return new Limits(
            requestsPerMinute, chatsPerMinute, loginFailuresBeforeBackoff, loginsPerIpPerMinute);
      }
    }
  }

  /** Changes some settings; {@link #build()} checks them all. */
  public static final class Builder {
    private String host;
    private int port;
    private Path dataDir;
    private String jdbcUrl;
    private String jdbcUser;
    private String jdbcPassword;
    private String routerUrl;
    private String defaultModel;
    private int bcryptCost;
    private int maxMessageChars;
    private int historyMessages;
    private Duration routerTimeout;
    private Limits limits;
    private Exposure exposure;

    private Builder(ApiSettings s) {
      host = s.host;
      port = s.port;
      dataDir = s.dataDir;
      jdbcUrl = s.jdbcUrl;
      jdbcUser = s.jdbcUser;
      jdbcPassword = s.jdbcPassword;
      routerUrl = s.routerUrl;
      defaultModel = s.defaultModel;
      bcryptCost = s.bcryptCost;
      maxMessageChars = s.maxMessageChars;
      historyMessages = s.historyMessages;
      routerTimeout = s.routerTimeout;
      limits = s.limits;
      exposure = s.exposure;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** Null: the embedded H2 database in the data directory. */
    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    public Builder jdbcUser(String jdbcUser) {
      this.jdbcUser = jdbcUser;
      return this;
    }

    public Builder jdbcPassword(String jdbcPassword) {
      this.jdbcPassword = jdbcPassword;
      return this;
    }

    public Builder routerUrl(String routerUrl) {
      this.routerUrl = routerUrl;
      return this;
    }

    /** Null: the router chooses. */
    public Builder defaultModel(String defaultModel) {
      this.defaultModel = defaultModel;
      return this;
    }

    public Builder bcryptCost(int bcryptCost) {
      this.bcryptCost = bcryptCost;
      return this;
    }

    public Builder maxMessageChars(int maxMessageChars) {
      this.maxMessageChars = maxMessageChars;
      return this;
    }

    public Builder historyMessages(int historyMessages) {
      this.historyMessages = historyMessages;
      return this;
    }

    public Builder routerTimeout(Duration routerTimeout) {
      this.routerTimeout = routerTimeout;
      return this;
    }

    public Builder limits(Limits limits) {
      this.limits = limits;
      return this;
    }

    public Builder exposure(Exposure exposure) {
      this.exposure = exposure;
      return this;
    }

    public ApiSettings build() {
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
          limits,
          exposure);
    }
  }
}
