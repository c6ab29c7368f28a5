package dev.uat.api;

import static java.util.Objects.requireNonNull;

import dev.uat.web.Exposure;
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

  public static final int DEFAULT_PORT = 9999;
  public static final int DEFAULT_BCRYPT_COST = 12;

  /**
   * Rate limits, each a number of events per window per key (0 turns a limit off).
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
    public static final Limits DEFAULT = new Limits(600, 60, 10, 30);
    public static final Limits NONE = new Limits(0, 0, 0, 0);
  }

  public ApiSettings {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(routerUrl, "routerUrl");
    requireNonNull(routerTimeout, "routerTimeout");
    requireNonNull(limits, "limits");
    requireNonNull(exposure, "exposure");
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
        Limits.DEFAULT,
        Exposure.LOOPBACK);
  }

  public ApiSettings withHost(String host) {
    return copy().host(host).build();
  }

  public ApiSettings withPort(int port) {
    return copy().port(port).build();
  }

  public ApiSettings withJdbc(String url, String user, String password) {
    return copy().jdbcUrl(url).jdbcUser(user).jdbcPassword(password).build();
  }

  public ApiSettings withBcryptCost(int cost) {
    return copy().bcryptCost(cost).build();
  }

  public ApiSettings withDefaultModel(String model) {
    return copy().defaultModel(model).build();
  }

  public ApiSettings withRouterTimeout(Duration timeout) {
    return copy().routerTimeout(timeout).build();
  }

  public ApiSettings withLimits(Limits limits) {
    return copy().limits(limits).build();
  }

  public ApiSettings withExposure(Exposure exposure) {
    return copy().exposure(exposure).build();
  }

  private Copy copy() {
    return new Copy(this);
  }

  /** A changeable copy, for the {@code with…} methods: one place that names every field. */
  private static final class Copy {
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

    Copy(ApiSettings s) {
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

    Copy host(String v) {
      host = v;
      return this;
    }

    Copy port(int v) {
      port = v;
      return this;
    }

    Copy dataDir(Path v) {
      dataDir = v;
      return this;
    }

    Copy jdbcUrl(String v) {
      jdbcUrl = v;
      return this;
    }

    Copy jdbcUser(String v) {
      jdbcUser = v;
      return this;
    }

    Copy jdbcPassword(String v) {
      jdbcPassword = v;
      return this;
    }

    Copy routerUrl(String v) {
      routerUrl = v;
      return this;
    }

    Copy defaultModel(String v) {
      defaultModel = v;
      return this;
    }

    Copy bcryptCost(int v) {
      bcryptCost = v;
      return this;
    }

    Copy maxMessageChars(int v) {
      maxMessageChars = v;
      return this;
    }

    Copy historyMessages(int v) {
      historyMessages = v;
      return this;
    }

    Copy routerTimeout(Duration v) {
      routerTimeout = v;
      return this;
    }

    Copy limits(Limits v) {
      limits = v;
      return this;
    }

    Copy exposure(Exposure v) {
      exposure = v;
      return this;
    }

    ApiSettings build() {
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
