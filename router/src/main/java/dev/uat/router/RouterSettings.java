package dev.uat.router;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How to run a {@link Router}. Immutable; change with the {@code with…} methods.
 *
 * @param host the address to listen on
 * @param port the port; 0 picks a free one
 * @param provider {@code auto} (Ollama when it answers at start, else echo), {@code ollama}, {@code
 *     openai} or {@code echo}
 * @param ollamaUrl Ollama's base URL
 * @param openaiUrl an OpenAI-compatible base URL such as {@code http://127.0.0.1:8080/v1}; null
 *     when none ({@link Router#start} requires it for provider {@code openai})
 * @param openaiKey the bearer token for it, or null
 * @param defaultModel the model for requests that name none; null means the first discovered
 * @param requestTimeout the longest one provider call may take
 */
public record RouterSettings(
    String host,
    int port,
    String provider,
    String ollamaUrl,
    String openaiUrl,
    String openaiKey,
    String defaultModel,
    Duration requestTimeout) {

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
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, not " + port);
    }
    provider = provider.strip().toLowerCase(Locale.ROOT);
    if (!PROVIDERS.contains(provider)) {
      throw new IllegalArgumentException(
          "provider must be one of auto, ollama, openai, echo, not '" + provider + "'");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
    }
    if (defaultModel != null && defaultModel.isBlank()) {
      defaultModel = null;
    }
  }

  /** 127.0.0.1:8003, provider auto, Ollama at 127.0.0.1:11434, no OpenAI server, 120 s. */
  public static RouterSettings defaults() {
    return new RouterSettings(
        DEFAULT_HOST,
        DEFAULT_PORT,
        "auto",
        DEFAULT_OLLAMA_URL,
        null,
        null,
        null,
        DEFAULT_REQUEST_TIMEOUT);
  }

  public RouterSettings withHost(String host) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  public RouterSettings withPort(int port) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  public RouterSettings withProvider(String provider) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  public RouterSettings withOllamaUrl(String ollamaUrl) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  /** The OpenAI-compatible server and its key (null for none). */
  public RouterSettings withOpenai(String openaiUrl, String openaiKey) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  public RouterSettings withDefaultModel(String defaultModel) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  public RouterSettings withRequestTimeout(Duration requestTimeout) {
    return new RouterSettings(
        host, port, provider, ollamaUrl, openaiUrl, openaiKey, defaultModel, requestTimeout);
  }

  /**
   * Whether GenAI spans record message content: {@link #CAPTURE_CONTENT_PROPERTY} if set, else
   * {@link #CAPTURE_CONTENT_ENV}; only {@code true} turns it on.
   */
  static boolean captureMessageContent(Map<String, String> env, String property) {
    String value = property != null ? property : env.get(CAPTURE_CONTENT_ENV);
    return value != null && value.strip().equalsIgnoreCase("true");
  }

  /** Never shows the key. */
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
        + "}";
  }
}
