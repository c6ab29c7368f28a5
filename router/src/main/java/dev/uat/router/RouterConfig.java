package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.settings.Yaml;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The router's own configuration file (YAML, {@code router-config} setting): provider instances,
 * aliases, routing and resilience, per-key limits, the response cache. Every section is optional;
 * unknown keys are errors that name the key (a typo must not silently change routing). The file is
 * bound by {@link Yaml} into {@link RouterConfigFile}, which checks it and builds these records.
 * Durations are written as {@code dev.uat.settings.Durations} reads them ({@code 250ms}, {@code
 * 30s}, {@code 10m}, {@code 1h}; a number needs a unit). See {@code docs/router.md}.
 *
 * @param providers provider instances; empty: the flat settings' one provider
 * @param aliases alias name to an ordered fallback chain of model references
 * @param defaultModel the model or alias for requests that name none, or null
 * @param routing retries, backoff, breaker, discovery
 * @param limits default per-caller limits
 * @param cache the response cache
 */
public record RouterConfig(
    List<ProviderConfig> providers,
    Map<String, List<String>> aliases,
    String defaultModel,
    Routing routing,
    Limits limits,
    Cache cache) {

  public RouterConfig {
    providers = List.copyOf(providers);
    aliases = Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
    requireNonNull(routing, "routing");
    requireNonNull(limits, "limits");
    requireNonNull(cache, "cache");
  }

  /** No providers (the flat settings decide), no aliases, default routing, limits and cache. */
  public static RouterConfig defaults() {
    return new RouterConfig(
        List.of(), Map.of(), null, Routing.DEFAULTS, Limits.NONE, Cache.DEFAULTS);
  }

  /**
   * One provider instance.
   *
   * @param name the instance name used in model references ({@code name/model}); unique
   * @param kind {@code ollama}, {@code openai} or {@code echo}
   * @param url the base URL (not for echo)
   * @param apiKey the bearer key for an OpenAI-compatible server, or null
   * @param weight share among equivalent deployments (≥ 1)
   * @param maxConcurrency most calls in flight to this instance (0: no cap)
   * @param connectTimeout to open a connection
   * @param firstTokenTimeout to the first piece of a streamed answer
   * @param totalTimeout for a whole call
   * @param cache whether its answers are cached (default: true, false for echo)
   */
  public record ProviderConfig(
      String name,
      String kind,
      String url,
      String apiKey,
      int weight,
      int maxConcurrency,
      Duration connectTimeout,
      Duration firstTokenTimeout,
      Duration totalTimeout,
      boolean cache) {
    public ProviderConfig {
      requireNonNull(name, "name");
      requireNonNull(kind, "kind");
      requireNonNull(connectTimeout, "connectTimeout");
      requireNonNull(firstTokenTimeout, "firstTokenTimeout");
      requireNonNull(totalTimeout, "totalTimeout");
    }

    /** Never shows the key. */
    @Override
    public String toString() {
      return "ProviderConfig{"
          + name
          + ", "
          + kind
          + ", "
          + url
          + (apiKey == null ? "" : ", key ****")
          + ", weight "
          + weight
          + "}";
    }
  }

  /**
   * Resilience.
   *
   * @param retries extra attempts among equivalent deployments of one step of a chain
   * @param retryBudgetRatio retries allowed per request, on average (e.g. 0.2: one in five)
   * @param retryBudgetMinPerSecond retries always allowed per second, whatever the ratio
   * @param backoffInitial wait before the first retry (doubled each time, with jitter)
   * @param backoffMax longest wait before a retry
   * @param breakerFailureThreshold consecutive failures that open a deployment's circuit
   * @param breakerOpenFor how long an open circuit refuses calls before one probe is let through
   * @param discoveryInterval how often the model lists are refreshed in the background
   */
  public record Routing(
      int retries,
      double retryBudgetRatio,
      double retryBudgetMinPerSecond,
      Duration backoffInitial,
      Duration backoffMax,
      int breakerFailureThreshold,
      Duration breakerOpenFor,
      Duration discoveryInterval) {
    public static final Routing DEFAULTS =
        new Routing(
            1,
            0.2,
            5,
            Duration.ofMillis(25),
            Duration.ofSeconds(1),
            5,
            Duration.ofSeconds(30),
            Duration.ofSeconds(60));
  }

  /** Limits per caller (each API key, or each user with an access token); null: unlimited. */
  public record Limits(Integer requestsPerMinute, Integer tokensPerMinute) {
    public static final Limits NONE = new Limits(null, null);
  }

  /**
   * The exact-match response cache.
   *
   * @param enabled whether answers are cached at all
   * @param ttl how long an answer is kept
   * @param maxBytes the in-process cache's budget in bytes, answers weighed by their estimated size
   *     (Caffeine; Redis bounds its memory with its own {@code maxmemory})
   */
  public record Cache(boolean enabled, Duration ttl, long maxBytes) {
    /** Default in-process budget: 8 MiB, small against the all-in-one's 256 MiB heap. */
    public static final long DEFAULT_MAX_BYTES = 8L * 1024 * 1024;

    public static final Cache DEFAULTS = new Cache(true, Duration.ofMinutes(10), DEFAULT_MAX_BYTES);
  }

  /**
   * Reads and validates a configuration file.
   *
   * @throws IllegalArgumentException naming the file, and the key when one is wrong
   */
  public static RouterConfig load(Path file) {
    return parse(Yaml.text(file), file.toString());
  }

  /** Parses YAML text; {@code source} names it in errors. An empty text is {@link #defaults()}. */
  static RouterConfig parse(String yaml, String source) {
    if (yaml.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
      return defaults();
    }
    return RouterConfigFile.read(yaml, source).toConfig(source);
  }
}
