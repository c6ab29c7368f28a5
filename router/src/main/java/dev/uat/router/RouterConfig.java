package dev.uat.router;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The router's own configuration file (YAML, {@code router-config} setting): provider instances,
 * aliases, routing and resilience, per-key limits, the response cache. Every section is optional;
 * unknown keys are errors that name the key (a typo must not silently change routing). Durations
 * are written {@code 250ms}, {@code 30s}, {@code 10m}, {@code 1h}. See {@code docs/router.md}.
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
    aliases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
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

  /** Reads and validates a configuration file. */
  public static RouterConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read router config " + file + ": " + e);
    }
    return parse(text, file.toString());
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Parses YAML text; {@code source} names it in errors. */
  static RouterConfig parse(String yaml, String source) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          source + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return defaults();
    }
    Node top = new Node(root, source, "");
    top.only("providers", "aliases", "default_model", "routing", "limits", "cache");
    List<ProviderConfig> providers = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Node p : top.list("providers")) {
      ProviderConfig pc = provider(p);
      if (!names.add(pc.name())) {
        throw p.error("provider name '" + pc.name() + "' is used twice");
      }
      providers.add(pc);
    }
    Map<String, List<String>> aliases = new LinkedHashMap<>();
    Node aliasNode = top.child("aliases");
    if (aliasNode != null) {
      for (Map.Entry<String, Node> e : aliasNode.fields().entrySet()) {
        if (e.getKey().contains("/")) {
          throw e.getValue().error("an alias name must not contain '/'");
        }
        List<String> chain = new ArrayList<>();
        for (Node ref : e.getValue().list(null)) {
          chain.add(ref.text());
        }
        if (chain.isEmpty()) {
          throw e.getValue().error("an alias needs at least one model");
        }
        aliases.put(e.getKey(), List.copyOf(chain));
      }
    }
    Routing routing = routing(top.child("routing"));
    Limits limits = Limits.NONE;
    Node l = top.child("limits");
    if (l != null) {
      l.only("requests_per_minute", "tokens_per_minute");
      limits = new Limits(l.positiveInt("requests_per_minute"), l.positiveInt("tokens_per_minute"));
    }
    Cache cache = Cache.DEFAULTS;
    Node c = top.child("cache");
    if (c != null) {
      if (c.child("max_entries") != null) {
        throw c.child("max_entries")
            .error("the cache is bounded in bytes now: use max_bytes (default 8388608, 8 MiB)");
      }
      c.only("enabled", "ttl", "max_bytes");
      cache =
          new Cache(
              c.bool("enabled", Cache.DEFAULTS.enabled()),
              c.duration("ttl", Cache.DEFAULTS.ttl()),
              c.longValue("max_bytes", Cache.DEFAULTS.maxBytes()));
    }
    String defaultModel = top.optionalText("default_model");
    return new RouterConfig(providers, aliases, defaultModel, routing, limits, cache);
  }

  private static ProviderConfig provider(Node p) {
    p.only(
        "name",
        "kind",
        "url",
        "api_key",
        "api_key_env",
        "weight",
        "max_concurrency",
        "timeouts",
        "cache");
    String kind = p.requiredText("kind").toLowerCase(Locale.ROOT);
    if (!Set.of("ollama", "openai", "echo").contains(kind)) {
      throw p.error("kind must be ollama, openai or echo, not '" + kind + "'");
    }
    String name = p.optionalText("name");
    if (name == null) {
      name = kind;
    }
    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw p.error("name must be 1-64 letters, digits, '_', '.' or '-', not '" + name + "'");
    }
    String url = p.optionalText("url");
    if (url == null && !kind.equals("echo")) {
      throw p.error("provider '" + name + "' needs a url");
    }
    String apiKey = p.optionalText("api_key");
    String keyEnv = p.optionalText("api_key_env");
    if (keyEnv != null) {
      apiKey = System.getenv(keyEnv);
      if (apiKey == null) {
        throw p.error("environment variable " + keyEnv + " (api_key_env) is not set");
      }
    }
    Duration connect = Duration.ofSeconds(5);
    Duration total = RouterSettings.DEFAULT_REQUEST_TIMEOUT;
    Duration first = null;
    Node t = p.child("timeouts");
    if (t != null) {
      t.only("connect", "first_token", "total");
      connect = t.duration("connect", connect);
      total = t.duration("total", total);
      first = t.duration("first_token", null);
    }
    Integer weight = p.positiveInt("weight");
    Integer maxConcurrency = p.positiveInt("max_concurrency");
    return new ProviderConfig(
        name,
        kind,
        url,
        apiKey,
        weight == null ? 1 : weight,
        maxConcurrency == null ? 0 : maxConcurrency,
        connect,
        first == null ? total : first,
        total,
        p.bool("cache", !kind.equals("echo")));
  }

  private static Routing routing(Node r) {
    Routing d = Routing.DEFAULTS;
    if (r == null) {
      return d;
    }
    r.only("retries", "retry_budget", "backoff", "circuit_breaker", "discovery_interval");
    Integer retries = r.nonNegativeInt("retries");
    double ratio = d.retryBudgetRatio();
    double minPerSecond = d.retryBudgetMinPerSecond();
    Node b = r.child("retry_budget");
    if (b != null) {
      b.only("ratio", "min_per_second");
      ratio = b.nonNegativeDouble("ratio", ratio);
      minPerSecond = b.nonNegativeDouble("min_per_second", minPerSecond);
    }
    Duration initial = d.backoffInitial();
    Duration max = d.backoffMax();
    Node bo = r.child("backoff");
    if (bo != null) {
      bo.only("initial", "max");
      initial = bo.duration("initial", initial);
      max = bo.duration("max", max);
    }
    int threshold = d.breakerFailureThreshold();
    Duration openFor = d.breakerOpenFor();
    Node cb = r.child("circuit_breaker");
    if (cb != null) {
      cb.only("failure_threshold", "open_for");
      Integer t = cb.positiveInt("failure_threshold");
      threshold = t == null ? threshold : t;
      openFor = cb.duration("open_for", openFor);
    }
    return new Routing(
        retries == null ? d.retries() : retries,
        ratio,
        minPerSecond,
        initial,
        max,
        threshold,
        openFor,
        r.duration("discovery_interval", d.discoveryInterval()));
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  /** {@code 250ms}, {@code 30s}, {@code 10m}, {@code 1h}; a bare number is seconds. */
  static Duration duration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(t));
    }
    Matcher m = DURATION.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (e.g. 250ms, 30s, 10m)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** A YAML node with its path, for errors that say where. */
  private record Node(JsonNode json, String source, String path) {
    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(
          source + (path.isEmpty() ? "" : " at '" + path + "'") + ": " + message);
    }

    private String at(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    void only(String... keys) {
      if (!json.isObject()) {
        throw error("expected a mapping");
      }
      Set<String> known = Set.of(keys);
      for (Map.Entry<String, JsonNode> e : json.properties()) {
        if (!known.contains(e.getKey())) {
          throw error("unknown key '" + e.getKey() + "'; known: " + String.join(", ", keys));
        }
      }
    }

    Node child(String key) {
      JsonNode c = json.get(key);
      return c == null || c.isNull() ? null : new Node(c, source, at(key));
    }

    Map<String, Node> fields() {
      if (!json.isObject()) {
        throw error("expected a mapping");
      }
      Map<String, Node> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : json.properties()) {
        out.put(e.getKey(), new Node(e.getValue(), source, at(e.getKey())));
      }
      return out;
    }

    /** The list under {@code key} (null: this node itself); empty when absent. */
    List<Node> list(String key) {
      Node n = key == null ? this : child(key);
      if (n == null) {
        return List.of();
      }
      if (!n.json.isArray()) {
        throw n.error("expected a list");
      }
      List<Node> out = new ArrayList<>();
      for (int i = 0; i < n.json.size(); i++) {
        out.add(new Node(n.json.get(i), source, n.path + "[" + i + "]"));
      }
      return out;
    }

    String text() {
      if (!json.isValueNode() || json.asText().isBlank()) {
        throw error("expected a non-empty text");
      }
      return json.asText().strip();
    }

    String optionalText(String key) {
      Node c = child(key);
      return c == null ? null : c.text();
    }

    String requiredText(String key) {
      Node c = child(key);
      if (c == null) {
        throw error("'" + key + "' is required");
      }
      return c.text();
    }

    Integer positiveInt(String key) {
      Node c = child(key);
      if (c == null) {
        return null;
      }
      if (!c.json.canConvertToInt() || !c.json.isIntegralNumber() || c.json.asInt() < 1) {
        throw c.error("expected a whole number of at least 1");
      }
      return c.json.asInt();
    }

    Integer nonNegativeInt(String key) {
      Node c = child(key);
      if (c == null) {
        return null;
      }
      if (!c.json.isIntegralNumber() || c.json.asInt() < 0 || c.json.asInt() > 10) {
        throw c.error("expected a whole number from 0 to 10");
      }
      return c.json.asInt();
    }

    long longValue(String key, long otherwise) {
      Node c = child(key);
      if (c == null) {
        return otherwise;
      }
      if (!c.json.isIntegralNumber() || c.json.asLong() < 1) {
        throw c.error("expected a whole number of at least 1");
      }
      return c.json.asLong();
    }

    double nonNegativeDouble(String key, double otherwise) {
      Node c = child(key);
      if (c == null) {
        return otherwise;
      }
      if (!c.json.isNumber() || c.json.asDouble() < 0) {
        throw c.error("expected a number of at least 0");
      }
      return c.json.asDouble();
    }

    boolean bool(String key, boolean otherwise) {
      Node c = child(key);
      if (c == null) {
        return otherwise;
      }
      if (!c.json.isBoolean()) {
        throw c.error("expected true or false");
      }
      return c.json.asBoolean();
    }

    Duration duration(String key, Duration otherwise) {
      Node c = child(key);
      if (c == null) {
        return otherwise;
      }
      Duration d;
      try {
        d = RouterConfig.duration(c.json.asText());
      } catch (IllegalArgumentException e) {
        throw c.error(e.getMessage());
      }
      if (d.isZero()) {
        throw c.error("must be longer than 0");
      }
      return d;
    }
  }
}
