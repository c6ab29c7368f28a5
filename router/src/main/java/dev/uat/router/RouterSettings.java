package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Check;
import dev.uat.web.Exposure;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How to run a {@link Router}. Immutable; change with {@link #toBuilder()}. Absent values are null
 * (a blank string given for one of them is read as absent).
 *
 * <p>The flat provider settings ({@code provider}, {@code ollamaUrl}, {@code openaiUrl}, {@code
 * openaiKey}, {@code defaultModel}) are the zero-configuration path: one provider. A {@code
 * configFile} (YAML, see {@link RouterConfig}) adds several provider instances, aliases, routing,
 * limits and cache settings; its {@code providers} list, when present, replaces the flat provider.
 *
 * @param host the address to listen on
 * @param port the port; 0 picks a free one
 * @param provider {@code auto} (Ollama when it answers at start, else echo), {@code ollama}, {@code
 *     openai} or {@code echo}
 * @param ollamaUrl Ollama's base URL
 * @param openaiUrl an OpenAI-compatible base URL such as {@code http://127.0.0.1:8080/v1}; null
 *     when none ({@link Router#start} requires it for provider {@code openai})
 * @param openaiKey the bearer token for it, or null
 * @param defaultModel the model (or alias) for requests that name none; null means the configured
 *     file's, else the first discovered
 * @param requestTimeout the longest one provider call may take (the flat provider's total timeout)
 * @param apiUrl the api, which says whether API keys and login sessions are live ({@code GET
 *     /api/auth/introspect}); null: API keys and session-bound tokens are answered 503, only tokens
 *     without a session (services') are accepted
 * @param dataDir where the default H2 usage database lives; null with no {@code jdbcUrl}: an
 *     in-memory database (tests)
 * @param jdbcUrl the usage database (e.g. PostgreSQL); null for the H2 file in {@code dataDir}
 * @param redisUrl a Redis URL ({@code redis://host:6379}) for the response cache; null: in-process
 * @param configFile the YAML router configuration, or null
 * @param exposure whom the server believes about client addresses ({@code X-Forwarded-For} from
 *     trusted proxies only) and who may read {@code /metrics}; {@link Exposure#LOOPBACK} by default
 */
@RecordBuilder
public record RouterSettings(
    String host,
    int port,
    String provider,
    String ollamaUrl,
    String openaiUrl,
    String openaiKey,
    String defaultModel,
    Duration requestTimeout,
    String apiUrl,
    Path dataDir,
    String jdbcUrl,
    String redisUrl,
    Path configFile,
    Exposure exposure) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8003;
  public static final String DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434";
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(120);

  /** The provider choices. */
  public static final Set<String> PROVIDERS = Set.of("auto", "ollama", "openai", "echo");

  /**
   * The standard OpenTelemetry switch for recording prompts and replies on GenAI spans; off by
   * default because they may hold personal data.
   */
  public static final String CAPTURE_CONTENT_ENV =
      "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

  /** The system-property form of {@link #CAPTURE_CONTENT_ENV}. */
  public static final String CAPTURE_CONTENT_PROPERTY =
      "otel.instrumentation.genai.capture-message-content";

  public RouterSettings {
    requireNonNull(host, "host");
    requireNonNull(provider, "provider");
    requireNonNull(ollamaUrl, "ollamaUrl");
    requireNonNull(requestTimeout, "requestTimeout");
    requireNonNull(exposure, "exposure");
    Check.port(port, "port");
    provider = provider.strip().toLowerCase(Locale.ROOT);
    if (!PROVIDERS.contains(provider)) {
      throw new IllegalArgumentException(
          "provider must be one of auto, ollama, openai, echo, not '" + provider + "'");
    }
    Check.positive(requestTimeout, "requestTimeout");
    defaultModel = blankToNull(defaultModel);
    apiUrl = blankToNull(apiUrl);
    jdbcUrl = blankToNull(jdbcUrl);
    redisUrl = blankToNull(redisUrl);
    openaiUrl = blankToNull(openaiUrl);
    openaiKey = blankToNull(openaiKey);
    if (apiUrl != null && !(apiUrl.startsWith("http://") || apiUrl.startsWith("https://"))) {
      throw new IllegalArgumentException("apiUrl must be an http(s) URL, not '" + apiUrl + "'");
    }
    if (redisUrl != null
        && !(redisUrl.startsWith("redis://") || redisUrl.startsWith("rediss://"))) {
      throw new IllegalArgumentException(
          "redisUrl must be a redis:// or rediss:// URL, not '" + redisUrl + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /**
   * 127.0.0.1:8003, provider auto, Ollama at 127.0.0.1:11434, no OpenAI server, 120 s, no api
   * (sessionless tokens only), usage in memory, in-process cache, no configuration file.
   */
  public static RouterSettings defaults() {
    return new RouterSettings(
        DEFAULT_HOST,
        DEFAULT_PORT,
        "auto",
        DEFAULT_OLLAMA_URL,
        null,
        null,
        null,
        DEFAULT_REQUEST_TIMEOUT,
        null,
        null,
        null,
        null,
        null,
        Exposure.LOOPBACK);
  }

  /** A builder holding these settings. */
  /** A builder holding these settings: change what differs, then {@code build()}. */
  public RouterSettingsBuilder toBuilder() {
    return RouterSettingsBuilder.builder(this);
  }

  /** The usage database URL in effect. */
  String effectiveJdbcUrl() {
    if (jdbcUrl != null) {
      return jdbcUrl;
    }
    if (dataDir != null) {
      // the router closes the database itself, after its usage writer wrote what was queued
      // (H2's own shutdown hook would close it first, and those records would be lost)
      return "jdbc:h2:file:"
          + dataDir.toAbsolutePath().resolve("router")
          + ";AUTO_SERVER=FALSE;DB_CLOSE_ON_EXIT=FALSE";
    }
    return "jdbc:h2:mem:router-" + Long.toHexString(System.nanoTime()) + ";DB_CLOSE_DELAY=-1";
  }

  /**
   * Whether GenAI spans record message content: {@link #CAPTURE_CONTENT_PROPERTY} if set, else
   * {@link #CAPTURE_CONTENT_ENV}; only {@code true} turns it on.
   */
  static boolean captureMessageContent(Map<String, String> env, String property) {
    String value = property != null ? property : env.get(CAPTURE_CONTENT_ENV);
    return value != null && value.strip().equalsIgnoreCase("true");
  }

  /** Never shows a key or a database password. */
  @Override
  public String toString() {
    return "RouterSettings{"
        + host
        + ":"
        + port
        + ", provider="
        + provider
        + ", ollamaUrl="
        + ollamaUrl
        + ", openaiUrl="
        + openaiUrl
        + ", openaiKey="
        + (openaiKey == null ? "none" : "****")
        + ", defaultModel="
        + defaultModel
        + ", requestTimeout="
        + requestTimeout
        + ", apiUrl="
        + apiUrl
        + ", dataDir="
        + dataDir
        + ", jdbcUrl="
        + (jdbcUrl == null ? "default" : jdbcUrl.replaceAll("password=[^&;]*", "password=****"))
        + ", redisUrl="
        + (redisUrl == null ? "none" : redisUrl.replaceAll("//[^@/]*@", "//****@"))
        + ", configFile="
        + configFile
        + ", exposure="
        + exposure
        + "}";
  }
}
