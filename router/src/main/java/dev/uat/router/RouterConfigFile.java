package dev.uat.router;

import dev.uat.settings.Yaml;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The router configuration file as written: {@link Yaml#readSnakeCase} binds it (unknown keys
 * refused, durations read by {@code Durations}, every key optional and null when absent), then
 * {@link #toConfig} checks the values and fills the defaults, naming the file and the key of what
 * is wrong.
 */
record RouterConfigFile(
    List<Provider> providers,
    Map<String, List<String>> aliases,
    String defaultModel,
    Routing routing,
    Limits limits,
    Cache cache) {

  record Provider(
      String name,
      String kind,
      String url,
      String apiKey,
      String apiKeyEnv,
      Integer weight,
      Integer maxConcurrency,
      Timeouts timeouts,
      Boolean cache) {}

  record Timeouts(Duration connect, Duration firstToken, Duration total) {}

  record Routing(
      Integer retries,
      RetryBudget retryBudget,
      Backoff backoff,
      CircuitBreaker circuitBreaker,
      Duration discoveryInterval) {}

  record RetryBudget(Double ratio, Double minPerSecond) {}

  record Backoff(Duration initial, Duration max) {}

  record CircuitBreaker(Integer failureThreshold, Duration openFor) {}

  record Limits(Integer requestsPerMinute, Integer tokensPerMinute) {}

  /** {@code max_entries} is read only to say what replaced it. */
  record Cache(Boolean enabled, Duration ttl, Long maxBytes, Object maxEntries) {}

  /** The connect timeout of a provider whose file gives none. */
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private static final Set<String> KINDS = Set.of("ollama", "openai", "echo");

  static RouterConfigFile read(String yaml, String source) {
    return Yaml.readSnakeCase(yaml, source, RouterConfigFile.class);
  }

  RouterConfig toConfig(String source) {
    Where top = new Where(source, "");
    List<RouterConfig.ProviderConfig> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<Provider> list = providers == null ? List.of() : providers;
    for (int i = 0; i < list.size(); i++) {
      Where at = top.at("providers[" + i + "]");
      RouterConfig.ProviderConfig pc = provider(list.get(i), at);
      if (!names.add(pc.name())) {
        throw at.error("provider name '" + pc.name() + "' is used twice");
      }
      out.add(pc);
    }
    Map<String, List<String>> chains = new LinkedHashMap<>();
    if (aliases != null) {
      for (Map.Entry<String, List<String>> e : aliases.entrySet()) {
        Where at = top.at("aliases").at(e.getKey());
        if (e.getKey().contains("/")) {
          throw at.error("an alias name must not contain '/'");
        }
        if (e.getValue() == null || e.getValue().isEmpty()) {
          throw at.error("an alias needs at least one model");
        }
        List<String> chain = new ArrayList<>(e.getValue().size());
        for (int i = 0; i < e.getValue().size(); i++) {
          chain.add(text(e.getValue().get(i), at.at("[" + i + "]")));
        }
        chains.put(e.getKey(), List.copyOf(chain));
      }
    }
    return new RouterConfig(
        out,
        chains,
        defaultModel == null ? null : text(defaultModel, top.at("default_model")),
        routing(routing, top.at("routing")),
        limits == null
            ? RouterConfig.Limits.NONE
            : new RouterConfig.Limits(
                atLeastOne(limits.requestsPerMinute(), top.at("limits.requests_per_minute")),
                atLeastOne(limits.tokensPerMinute(), top.at("limits.tokens_per_minute"))),
        cache(cache, top.at("cache")));
  }

  private static RouterConfig.ProviderConfig provider(Provider p, Where at) {
    if (p == null) {
      throw at.error("expected a mapping");
    }
    if (p.kind() == null) {
      throw at.error("'kind' is required");
    }
    String kind = text(p.kind(), at.at("kind")).toLowerCase(Locale.ROOT);
    if (!KINDS.contains(kind)) {
      throw at.error("kind must be ollama, openai or echo, not '" + kind + "'");
    }
    String name = p.name() == null ? kind : text(p.name(), at.at("name"));
    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw at.error("name must be 1-64 letters, digits, '_', '.' or '-', not '" + name + "'");
    }
    String url = p.url() == null ? null : text(p.url(), at.at("url"));
    if (url == null && !kind.equals("echo")) {
      throw at.error("provider '" + name + "' needs a url");
    }
    String apiKey = p.apiKey() == null ? null : text(p.apiKey(), at.at("api_key"));
    if (p.apiKeyEnv() != null) {
      String env = text(p.apiKeyEnv(), at.at("api_key_env"));
      apiKey = System.getenv(env);
      if (apiKey == null) {
        throw at.error("environment variable " + env + " (api_key_env) is not set");
      }
    }
    Timeouts t = p.timeouts() == null ? new Timeouts(null, null, null) : p.timeouts();
    Duration connect = positive(t.connect(), DEFAULT_CONNECT_TIMEOUT, at.at("timeouts.connect"));
    Duration total =
        positive(t.total(), RouterSettings.DEFAULT_REQUEST_TIMEOUT, at.at("timeouts.total"));
    Duration first = positive(t.firstToken(), total, at.at("timeouts.first_token"));
    Integer weight = atLeastOne(p.weight(), at.at("weight"));
    Integer maxConcurrency = atLeastOne(p.maxConcurrency(), at.at("max_concurrency"));
    return new RouterConfig.ProviderConfig(
        name,
        kind,
        url,
        apiKey,
        weight == null ? 1 : weight,
        maxConcurrency == null ? 0 : maxConcurrency,
        connect,
        first,
        total,
        p.cache() == null ? !kind.equals("echo") : p.cache());
  }

  private static RouterConfig.Routing routing(Routing r, Where at) {
    RouterConfig.Routing d = RouterConfig.Routing.DEFAULTS;
    if (r == null) {
      return d;
    }
    if (r.retries() != null && (r.retries() < 0 || r.retries() > 10)) {
      throw at.at("retries").error("expected a whole number from 0 to 10");
    }
    RetryBudget b = r.retryBudget() == null ? new RetryBudget(null, null) : r.retryBudget();
    Backoff bo = r.backoff() == null ? new Backoff(null, null) : r.backoff();
    CircuitBreaker cb =
        r.circuitBreaker() == null ? new CircuitBreaker(null, null) : r.circuitBreaker();
    Integer threshold =
        atLeastOne(cb.failureThreshold(), at.at("circuit_breaker.failure_threshold"));
    return new RouterConfig.Routing(
        r.retries() == null ? d.retries() : r.retries(),
        nonNegative(b.ratio(), d.retryBudgetRatio(), at.at("retry_budget.ratio")),
        nonNegative(
            b.minPerSecond(), d.retryBudgetMinPerSecond(), at.at("retry_budget.min_per_second")),
        positive(bo.initial(), d.backoffInitial(), at.at("backoff.initial")),
        positive(bo.max(), d.backoffMax(), at.at("backoff.max")),
        threshold == null ? d.breakerFailureThreshold() : threshold,
        positive(cb.openFor(), d.breakerOpenFor(), at.at("circuit_breaker.open_for")),
        positive(r.discoveryInterval(), d.discoveryInterval(), at.at("discovery_interval")));
  }

  private static RouterConfig.Cache cache(Cache c, Where at) {
    RouterConfig.Cache d = RouterConfig.Cache.DEFAULTS;
    if (c == null) {
      return d;
    }
    if (c.maxEntries() != null) {
      throw at.at("max_entries")
          .error("the cache is bounded in bytes now: use max_bytes (default 8388608, 8 MiB)");
    }
    if (c.maxBytes() != null && c.maxBytes() < 1) {
      throw at.at("max_bytes").error("expected a whole number of at least 1");
    }
    return new RouterConfig.Cache(
        c.enabled() == null ? d.enabled() : c.enabled(),
        positive(c.ttl(), d.ttl(), at.at("ttl")),
        c.maxBytes() == null ? d.maxBytes() : c.maxBytes());
  }

  private static String text(String value, Where at) {
    if (value == null || value.isBlank()) {
      throw at.error("expected a non-empty text");
    }
    return value.strip();
  }

  private static Integer atLeastOne(Integer value, Where at) {
    if (value != null && value < 1) {
      throw at.error("expected a whole number of at least 1");
    }
    return value;
  }

  private static double nonNegative(Double value, double otherwise, Where at) {
    if (value == null) {
      return otherwise;
    }
    if (value < 0) {
      throw at.error("expected a number of at least 0");
    }
    return value;
  }

  private static Duration positive(Duration value, Duration otherwise, Where at) {
    if (value == null) {
      return otherwise;
    }
    if (value.isZero() || value.isNegative()) {
      throw at.error("must be longer than 0");
    }
    return value;
  }

  /** A file and a key path in it, for errors that say where. */
  private record Where(String source, String path) {
    Where at(String key) {
      return new Where(
          source, path.isEmpty() || key.startsWith("[") ? path + key : path + "." + key);
    }

    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(
          source + (path.isEmpty() ? "" : " at '" + path + "'") + ": " + message);
    }
  }
}
