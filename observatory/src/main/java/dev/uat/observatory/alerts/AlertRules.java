package dev.uat.observatory.alerts;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.uat.observatory.model.SpanKind;
import dev.uat.settings.Yaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A set of alert rules and how often they are evaluated, read from YAML (bound by {@link Yaml}:
 * unknown keys are refused, durations are {@link dev.uat.settings.Durations}). Bad files are
 * refused with a message that names the file, the rule and the key.
 *
 * @param evaluationIntervalMillis how often the rules are evaluated
 */
public record AlertRules(long evaluationIntervalMillis, List<AlertRule> rules) {
  /** The file name in the observatory's data directory. */
  public static final String FILE_NAME = "alert-rules.yaml";

  static final String DEFAULTS_RESOURCE = "default-alert-rules.yaml";
  private static final int MAX_RULES = 1_000;

  public AlertRules {
    rules = List.copyOf(rules);
    if (evaluationIntervalMillis < 100) {
      throw new IllegalArgumentException("evaluation_interval must be at least 100ms");
    }
  }

  /** The file as written: {@code evaluation_interval} (default 15s) and {@code rules}. */
  record RulesFile(Duration evaluationInterval, List<RuleEntry> rules) {}

  /**
   * One rule as written; null where the file leaves a key out (see the shipped {@code
   * default-alert-rules.yaml} for what each means and its default).
   */
  record RuleEntry(
      String name,
      String kind,
      String service,
      List<String> spanKinds,
      Double thresholdMs,
      Double threshold,
      Double percentile,
      Duration window,
      @JsonProperty("for") Duration pendingFor,
      Long minCalls,
      Duration baseline,
      Double minRatePerMinute,
      String severity,
      String summary) {}

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
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
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
    String text;
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, defaultsText());
      }
      text = Yaml.text(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read alert rules from " + file, e);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof IOException io) {
        throw new UncheckedIOException("cannot read alert rules from " + file, io);
      }
      throw e;
    }
    return parse(text, file.toString());
  }

  /**
   * @throws IllegalArgumentException naming the file, the rule and the key
   */
  public static AlertRules parse(String yaml, String source) {
    RulesFile file = Yaml.readSnakeCase(yaml, source, RulesFile.class);
    if (file.rules() == null) {
      throw new IllegalArgumentException(source + ": 'rules' is required");
    }
    if (file.rules().size() > MAX_RULES) {
      throw new IllegalArgumentException(source + ": at most " + MAX_RULES + " rules");
    }
    long interval =
        millis(file.evaluationInterval(), Duration.ofSeconds(15), "evaluation_interval", source);
    List<AlertRule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int index = 0;
    for (RuleEntry entry : file.rules()) {
      index++;
      if (entry == null) {
        throw new IllegalArgumentException(source + ", rule " + index + ": expected a mapping");
      }
      String name = required(entry.name(), "name", source + ", rule " + index);
      String where = source + ", rule '" + name + "'";
      if (!names.add(name)) {
        throw new IllegalArgumentException(where + ": the name is used twice");
      }
      rules.add(rule(entry, name, where));
    }
    return new AlertRules(interval, rules);
  }

  private static AlertRule rule(RuleEntry entry, String name, String where) {
    String kindText = required(entry.kind(), "kind", where);
    AlertRule.Kind kind;
    try {
      kind = AlertRule.Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": kind must be latency, error_ratio or silence, not '" + kindText + "'");
    }
    double threshold =
        switch (kind) {
          case LATENCY -> required(entry.thresholdMs(), "threshold_ms", where);
          case ERROR_RATIO -> required(entry.threshold(), "threshold", where);
          case SILENCE -> 0;
        };
    if (kind == AlertRule.Kind.ERROR_RATIO && (threshold < 0 || threshold > 1)) {
      throw new IllegalArgumentException(where + ": threshold is a ratio between 0 and 1");
    }
    double percentile = kind == AlertRule.Kind.LATENCY ? orElse(entry.percentile(), 95.0) : 0;
    if (percentile < 0 || percentile > 100) {
      throw new IllegalArgumentException(where + ": percentile must be between 0 and 100");
    }
    return new AlertRule(
        name,
        kind,
        orElse(entry.service(), "*"),
        spanKinds(entry.spanKinds(), where),
        threshold,
        percentile,
        millis(entry.window(), Duration.ofMinutes(5), "window", where),
        millis(entry.pendingFor(), Duration.ZERO, "for", where),
        orElse(entry.minCalls(), 1L),
        millis(entry.baseline(), Duration.ofMinutes(10), "baseline", where),
        orElse(entry.minRatePerMinute(), 1.0),
        orElse(entry.severity(), "warning"),
        orElse(entry.summary(), "{rule}: {service} ({value})"));
  }

  private static Set<SpanKind> spanKinds(List<String> kinds, String where) {
    if (kinds == null) {
      return Set.of();
    }
    Set<SpanKind> result = EnumSet.noneOf(SpanKind.class);
    for (String kind : kinds) {
      try {
        result.add(SpanKind.valueOf(String.valueOf(kind).toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": unknown span kind '" + kind + "'");
      }
    }
    return result;
  }

  private static <T> T required(T value, String key, String where) {
    if (value == null) {
      throw new IllegalArgumentException(where + ": '" + key + "' is required");
    }
    return value;
  }

  private static <T> T orElse(T value, T fallback) {
    return value == null ? fallback : value;
  }

  private static long millis(Duration value, Duration fallback, String key, String where) {
    Duration d = orElse(value, fallback);
    if (d.isNegative()) {
      throw new IllegalArgumentException(where + ": '" + key + "' must not be negative");
    }
    return d.toMillis();
  }
}
