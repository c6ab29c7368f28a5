package dev.uat.observatory.alerts;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.SpanKind;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One alert rule (see the shipped {@code default-alert-rules.yaml} for the file format).
 *
 * @param service a service name or a pattern with {@code *}; {@code *} for every service
 * @param spanKinds the kinds of spans counted; empty for all
 * @param threshold milliseconds for {@link Kind#LATENCY}, a ratio for {@link Kind#ERROR_RATIO},
 *     unused for {@link Kind#SILENCE}
 * @param percentile for {@link Kind#LATENCY}, 0 to 100
 * @param baselineMillis for {@link Kind#SILENCE}
 * @param minRatePerMinute for {@link Kind#SILENCE}
 */
public record AlertRule(
    String name,
    Kind kind,
    String service,
    Set<SpanKind> spanKinds,
    double threshold,
    double percentile,
    long windowMillis,
    long forMillis,
    long minCalls,
    long baselineMillis,
    double minRatePerMinute,
    String severity,
    String summary) {

  /** What a rule watches. */
  public enum Kind {
    LATENCY,
    ERROR_RATIO,
    SILENCE
  }

  public AlertRule {
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    requireNonNull(service, "service");
    spanKinds = Set.copyOf(spanKinds);
    requireNonNull(severity, "severity");
    requireNonNull(summary, "summary");
  }

  /** Whether the rule applies to {@code serviceName}. */
  public boolean appliesTo(String serviceName) {
    if (service.equals("*") || service.equals(serviceName)) {
      return true;
    }
    if (!service.contains("*")) {
      return false;
    }
    StringBuilder regex = new StringBuilder();
    for (String part : service.split("\\*", -1)) {
      if (!regex.isEmpty()) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    return serviceName.matches(regex.toString());
  }
}
