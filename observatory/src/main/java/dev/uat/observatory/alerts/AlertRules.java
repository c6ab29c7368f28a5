package dev.uat.observatory.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.uat.observatory.model.SpanKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A set of alert rules and how often they are evaluated, read from YAML. Bad files are refused with
 * a message that names the rule and field.
 *
 * @param evaluationIntervalMillis how often the rules are evaluated
 */
public record AlertRules(long evaluationIntervalMillis, List<AlertRule> rules) {
  /** The file name in the observatory's data directory. */
  public static final String FILE_NAME = "alert-rules.yaml";

  static final String DEFAULTS_RESOURCE = "default-alert-rules.yaml";
  private static final int MAX_FILE_BYTES = 1024 * 1024;
  private static final int MAX_RULES = 1_000;

  public AlertRules {
    rules = List.copyOf(rules);
    if (evaluationIntervalMillis < 100) {
      throw new IllegalArgumentException("evaluation_interval must be at least 100ms");
    }
  }

  /** The shipped rules. */
  public static AlertRules defaults() {
    return parse(defaultsText(), "the shipped defaults");
  }

  /** The text of the shipped rules file. */
  public static String defaultsText() {
    try (InputStream in = AlertRules.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + DEFAULTS_RESOURCE);
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@code file}, first writing the shipped defaults there if it does not exist.
   *
   * @throws IllegalArgumentException when the file is not valid (the message says why)
   * @throws UncheckedIOException when it cannot be read or written
   */
  public static AlertRules loadOrCreate(Path file) {
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, defaultsText());
      }
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(file + " is larger than 1 MiB");
      }
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read alert rules from " + file, e);
    }
  }

  /**
   * @throws IllegalArgumentException naming the mistake
   */
  public static AlertRules parse(String yaml, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(source + ": expected a mapping with 'rules'");
    }
    long interval = duration(root, "evaluation_interval", "15s", source);
    JsonNode list = root.get("rules");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException(source + ": 'rules' must be a list");
    }
    if (list.size() > MAX_RULES) {
      throw new IllegalArgumentException(source + ": at most " + MAX_RULES + " rules");
    }
    List<AlertRule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int index = 0;
    for (JsonNode node : list) {
      index++;
      String where = source + ", rule " + index;
      if (!node.isObject()) {
        throw new IllegalArgumentException(where + ": expected a mapping");
      }
      String name = text(node, "name", null, where);
      where = source + ", rule '" + name + "'";
      if (!names.add(name)) {
        throw new IllegalArgumentException(where + ": the name is used twice");
      }
      AlertRule.Kind kind;
      String kindText = text(node, "kind", null, where);
      try {
        kind = AlertRule.Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + ": kind must be latency, error_ratio or silence, not '" + kindText + "'");
      }
      double threshold =
          switch (kind) {
            case LATENCY -> number(node, "threshold_ms", null, where);
            case ERROR_RATIO -> number(node, "threshold", null, where);
            case SILENCE -> 0;
          };
      if (kind == AlertRule.Kind.ERROR_RATIO && (threshold < 0 || threshold > 1)) {
        throw new IllegalArgumentException(where + ": threshold is a ratio between 0 and 1");
      }
      double percentile =
          kind == AlertRule.Kind.LATENCY ? number(node, "percentile", 95.0, where) : 0;
      if (percentile < 0 || percentile > 100) {
        throw new IllegalArgumentException(where + ": percentile must be between 0 and 100");
      }
      rules.add(
          new AlertRule(
              name,
              kind,
              text(node, "service", "*", where),
              spanKinds(node, where),
              threshold,
              percentile,
              duration(node, "window", "5m", where),
              duration(node, "for", "0s", where),
              (long) number(node, "min_calls", 1.0, where),
              duration(node, "baseline", "10m", where),
              number(node, "min_rate_per_minute", 1.0, where),
              text(node, "severity", "warning", where),
              text(node, "summary", "{rule}: {service} ({value})", where)));
    }
    return new AlertRules(interval, rules);
  }

  private static Set<SpanKind> spanKinds(JsonNode node, String where) {
    JsonNode kinds = node.get("span_kinds");
    if (kinds == null || kinds.isNull()) {
      return Set.of();
    }
    if (!kinds.isArray()) {
      throw new IllegalArgumentException(where + ": span_kinds must be a list");
    }
    Set<SpanKind> result = EnumSet.noneOf(SpanKind.class);
    for (JsonNode kind : kinds) {
      try {
        result.add(SpanKind.valueOf(kind.asText().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": unknown span kind '" + kind.asText() + "'");
      }
    }
    return result;
  }

  private static String text(JsonNode node, String field, String fallback, String where) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (fallback == null) {
        throw new IllegalArgumentException(where + ": '" + field + "' is required");
      }
      return fallback;
    }
    if (!value.isValueNode()) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be a plain value");
    }
    return value.asText();
  }

  private static double number(JsonNode node, String field, Double fallback, String where) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (fallback == null) {
        throw new IllegalArgumentException(where + ": '" + field + "' is required");
      }
      return fallback;
    }
    if (value.isNumber()) {
      return value.asDouble();
    }
    try {
      return Double.parseDouble(value.asText().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be a number");
    }
  }

  private static long duration(JsonNode node, String field, String fallback, String where) {
    String text = text(node, field, fallback, where).trim();
    try {
      long millis = parseMillis(text);
      if (millis < 0) {
        throw new IllegalArgumentException("negative");
      }
      return millis;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": '" + field + "' must be a duration such as 30s, 5m or 1h, not '" + text + "'");
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or a combination such as {@code 1m30s}. */
  static long parseMillis(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty");
    }
    long total = 0;
    int i = 0;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && Character.isDigit(text.charAt(i))) {
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException(text);
      }
      long number = Long.parseLong(text.substring(start, i));
      int unitStart = i;
      while (i < text.length() && Character.isLetter(text.charAt(i))) {
        i++;
      }
      total +=
          number
              * switch (text.substring(unitStart, i)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                case "d" -> 86_400_000L;
                default -> throw new IllegalArgumentException(text);
              };
    }
    return total;
  }
}
