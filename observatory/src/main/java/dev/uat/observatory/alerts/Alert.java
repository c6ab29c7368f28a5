package dev.uat.observatory.alerts;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The state of one rule for one service.
 *
 * @param value what the rule measured at the last evaluation (milliseconds, a ratio, or seconds of
 *     silence)
 * @param activeSinceMillis when the condition started to hold
 * @param firedAtMillis when it started firing; 0 while pending
 * @param resolvedAtMillis when it stopped holding; 0 while active
 * @param exemplarTraceIds traces that show the problem (slow spans, errors, the last traces)
 */
public record Alert(
    String rule,
    String service,
    String severity,
    State state,
    double value,
    double threshold,
    long activeSinceMillis,
    long firedAtMillis,
    long resolvedAtMillis,
    String summary,
    List<String> exemplarTraceIds) {

  /** Where an alert is in its life. */
  public enum State {
    PENDING,
    FIRING,
    RESOLVED
  }

  public Alert {
    requireNonNull(rule, "rule");
    requireNonNull(service, "service");
    requireNonNull(severity, "severity");
    requireNonNull(state, "state");
    requireNonNull(summary, "summary");
    exemplarTraceIds = List.copyOf(exemplarTraceIds);
  }
}
