package dev.uat.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.uat.web.Exposure;
import java.io.CharConversionException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The platform's configuration: {@code uat.yaml} (optional), then {@code UAT_*} environment
 * variables, then command-line flags, each overriding the one before. Keys are kebab-case ({@code
 * port-offset}); the variable for a key is {@code UAT_} plus the key upper-cased with underscores
 * ({@code UAT_PORT_OFFSET}). The standard {@code OTEL_*} variables are read by each component's
 * OpenTelemetry SDK and always work.
 */
public final class Config {
  /** Every key the platform reads, with its default (null: none). */
  static final Map<String, String> DEFAULTS = defaults();

  /** Every port setting. */
  static final List<String> PORTS =
      List.of(
          "edge-port",
          "api-port",
          "router-port",
          "realtime-port",
          "observatory-port",
          "otlp-port",
          "otlp-grpc-port",
          "zipkin-port");

  private final Map<String, String> values;
  private final Map<String, String> sources;
  private final Map<String, Integer> boundPorts;

  private Config(
      Map<String, String> values, Map<String, String> sources, Map<String, Integer> boundPorts) {
    this.values = values;
    this.sources = sources;
    this.boundPorts = boundPorts;
  }

  /**
   * This configuration with every port that says 0 ("any free port") replaced by a port free right
   * now, so that every component's URL is known before any starts (they refer to each other).
   */
  public Config withFreePortsChosen() {
    Map<String, Integer> bound = new LinkedHashMap<>(boundPorts);
    for (String key : PORTS) {
      if (port(key) == 0) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          bound.put(key, s.getLocalPort());
        } catch (IOException e) {
          throw new ConfigException("cannot find a free port for " + key + ": " + e.getMessage());
        }
      }
    }
    return new Config(values, sources, bound);
  }

  /** Whether any port says 0: {@link #withFreePortsChosen()} will choose it. */
  boolean choosesFreePorts() {
    for (String key : PORTS) {
      if (port(key) == 0) {
        return true;
      }
    }
    return false;
  }

  /** This configuration with {@code key}'s port bound to {@code port} (tests). */
  Config withBoundPort(String key, int port) {
    Map<String, Integer> bound = new LinkedHashMap<>(boundPorts);
    bound.put(key, port);
    return new Config(values, sources, bound);
  }

  /**
   * This configuration with {@code api-url}, {@code router-url} and {@code realtime-url} pointing
   * at this machine's own ports: the all-in-one's peers are always its own components.
   */
  public Config withPeersOnLoopback() {
    Map<String, String> v = new LinkedHashMap<>(values);
    Map<String, String> src = new LinkedHashMap<>(sources);
    for (String component : List.of("api", "router", "realtime")) {
      v.put(component + "-url", "http://127.0.0.1:" + port(component + "-port"));
      src.put(component + "-url", "all-in-one");
    }
    return new Config(v, src, boundPorts);
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("data", "./data");
    d.put("host", "127.0.0.1");
    d.put("internal-host", "127.0.0.1");
    d.put("trusted-proxies", Exposure.LOOPBACK_BLOCKS);
    d.put("metrics-allow", Exposure.LOOPBACK_BLOCKS);
    d.put("port-offset", "0");
    d.put("edge-port", "8000");
    d.put("api-port", "9999");
    d.put("router-port", "8003");
    d.put("realtime-port", "8002");
    d.put("observatory-port", "16686");
    d.put("otlp-port", "4318");
    d.put("otlp-grpc-port", "4317");
    d.put("zipkin-port", "9411");
    d.put("provider", "auto");
    d.put("ollama-url", "http://127.0.0.1:11434");
    d.put("openai-url", null);
    d.put("openai-key", null);
    d.put("model", null);
    d.put("router-config", null);
    d.put("router-jdbc-url", null);
    d.put("redis-url", null);
    d.put("observatory-url", null);
    d.put("api-url", null);
    d.put("router-url", null);
    d.put("realtime-url", null);
    d.put("jdbc-url", null);
    d.put("jdbc-user", null);
    d.put("jdbc-password", null);
    d.put("otlp-endpoint", null);
    d.put("observatory-max-bytes", Long.toString(64L * 1024 * 1024));
    d.put("observatory-persist", "false");
    d.put("observatory-token", null);
    d.put("observatory-allowed-hosts", null);
    d.put("alertmanager-url", null);
    d.put("bcrypt-cost", "12");
    d.put("jwt-key", null);
    d.put("rate-limit-requests", "600");
    d.put("rate-limit-chats", "60");
    d.put("rate-limit-login-failures", "10");
    d.put("rate-limit-logins", "30");
    return d;
  }

  /**
   * Resolves the configuration. {@code file} may be null (then {@code ./uat.yaml} is read if it
   * exists); {@code env} is normally {@code System.getenv()}; {@code flags} holds the keys given on
   * the command line.
   */
  public static Config load(Path file, Map<String, String> env, Map<String, String> flags) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> sources = new LinkedHashMap<>();
    Path yaml = file != null ? file : Path.of("uat.yaml");
    if (file != null || Files.exists(yaml)) {
      for (Map.Entry<String, String> e : readYaml(yaml).entrySet()) {
        put(values, sources, e.getKey(), e.getValue(), yaml.toString());
      }
    }
    for (String key : DEFAULTS.keySet()) {
      String v = env.get(envName(key));
      if (v != null) {
        put(values, sources, key, v, envName(key));
      }
    }
    for (Map.Entry<String, String> e : flags.entrySet()) {
      if (e.getValue() != null) {
        put(values, sources, e.getKey(), e.getValue(), "--" + e.getKey());
      }
    }
    return new Config(values, sources, Map.of());
  }

  static String envName(String key) {
    return "UAT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void put(
      Map<String, String> values,
      Map<String, String> sources,
      String key,
      String value,
      String source) {
    if (!DEFAULTS.containsKey(key)) {
      throw new ConfigException(
          "unknown setting '"
              + key
              + "' in "
              + source
              + "; known: "
              + new TreeSet<>(DEFAULTS.keySet()));
    }
    values.put(key, value);
    sources.put(key, source);
  }

  private static Map<String, String> readYaml(Path yaml) {
    try {
      JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml.toFile());
      Map<String, String> out = new LinkedHashMap<>();
      if (root == null || root.isNull()) {
        return out;
      }
      if (!root.isObject()) {
        throw new ConfigException(yaml + ": expected a mapping of settings");
      }
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        if (!e.getValue().isValueNode()) {
          throw new ConfigException(yaml + ": setting '" + e.getKey() + "' must be a plain value");
        }
        out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
      }
      return out;
    } catch (IOException | RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof CharConversionException || t instanceof MalformedInputException) {
          throw new ConfigException(yaml + " is not UTF-8 text");
        }
      }
      if (e instanceof ConfigException c) {
        throw c;
      }
      if (e instanceof JsonProcessingException j) {
        throw new ConfigException(yaml + " is not valid YAML: " + j.getOriginalMessage());
      }
      throw new ConfigException("cannot read " + yaml + ": " + e.getMessage());
    }
  }

  public Optional<String> get(String key) {
    requireKnown(key);
    return Optional.ofNullable(values.get(key)).filter(v -> !v.isBlank());
  }

  public String require(String key) {
    return get(key)
        .orElseThrow(
            () ->
                new ConfigException(
                    "setting '"
                        + key
                        + "' is required (flag --"
                        + key
                        + " or "
                        + envName(key)
                        + ")"));
  }

  public int integer(String key) {
    String v = require(key);
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(
          "setting '" + key + "' must be a whole number, not '" + v + "' (" + source(key) + ")");
    }
  }

  public long longValue(String key) {
    String v = require(key);
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(
          "setting '" + key + "' must be a whole number, not '" + v + "' (" + source(key) + ")");
    }
  }

  /** A port setting plus {@code port-offset}; 0 stays 0 (any free port). */
  public int port(String key) {
    Integer bound = boundPorts.get(key);
    if (bound != null) {
      return bound;
    }
    int base = integer(key);
    int port = base == 0 ? 0 : base + integer("port-offset");
    if (port < 0 || port > 65535) {
      throw new ConfigException("port '" + key + "' plus port-offset is out of range: " + port);
    }
    return port;
  }

  public Path dataDir() {
    return Path.of(require("data"));
  }

  /** A comma-separated setting as a list of its non-blank items (empty when unset). */
  public List<String> list(String key) {
    return get(key).stream()
        .flatMap(v -> Arrays.stream(v.split(",")))
        .map(String::strip)
        .filter(v -> !v.isEmpty())
        .toList();
  }

  /** The public bind: where users reach the edge. */
  public String publicHost() {
    return require("host");
  }

  /** Where every other listener binds (api, router, realtime, observatory, receivers). */
  public String internalHost() {
    return require("internal-host");
  }

  /** Which proxies are believed about client addresses, and who may read {@code /metrics}. */
  public Exposure exposure() {
    try {
      return Exposure.of(get("trusted-proxies").orElse(""), get("metrics-allow").orElse(""));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "trusted-proxies / metrics-allow: "
              + e.getMessage()
              + " ("
              + source("trusted-proxies")
              + ", "
              + source("metrics-allow")
              + ")");
    }
  }

  String source(String key) {
    return sources.getOrDefault(key, "default");
  }

  Set<String> keys() {
    return DEFAULTS.keySet();
  }

  private static void requireKnown(String key) {
    if (!DEFAULTS.containsKey(key)) {
      throw new IllegalArgumentException("not a setting: " + key);
    }
  }

  /** A configuration mistake, reported to the user without a stack trace. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
