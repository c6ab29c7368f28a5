package dev.uat.observatory.ui;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.alerts.Alert;
import dev.uat.observatory.alerts.AlertEvaluator;
import dev.uat.observatory.alerts.AlertRule;
import dev.uat.observatory.metrics.GenAiMetrics;
import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The JSON the UI reads (ours, not Jaeger's; errors in our {@code {"error":{...}}} shape):
 *
 * <ul>
 *   <li>{@code GET /api/ui/search} — Jaeger search parameters (see {@code SearchParams}), answered
 *       with trace summaries only;
 *   <li>{@code GET /api/ui/trace/{id}} — a trace in a compact columnar form (one array per field,
 *       parents as indexes) that a browser parses fast even at 50,000 spans, and {@code GET
 *       /api/ui/trace/{id}/span/{spanId}} — one span in full;
 *   <li>{@code GET /api/ui/services}, {@code /api/ui/red}, {@code /api/ui/map}, {@code
 *       /api/ui/genai} — RED figures per service and operation, time series, the service map, GenAI
 *       figures;
 *   <li>{@code GET /api/alerts} — active and recently resolved alerts and the rules in force.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class UiApi {
  static final String JSON = "application/json";

  private final UiTraceRoutes traces;
  private final UiMetricsRoutes figures;
  private final AlertEvaluator alerts;

  /**
   * @param searchParser reads Jaeger search parameters (shared with the Jaeger API)
   */
  public UiApi(
      SpanStore store,
      RedMetrics red,
      GenAiMetrics genAi,
      AlertEvaluator alerts,
      Clock clock,
      Function<Map<String, List<String>>, TraceQuery> searchParser) {
    this.traces = new UiTraceRoutes(store, searchParser);
    this.figures = new UiMetricsRoutes(store, red, genAi, clock);
    this.alerts = requireNonNull(alerts, "alerts");
  }

  public void register(JavalinConfig cfg) {
    traces.register(cfg);
    figures.register(cfg);
    cfg.routes.get("/api/alerts", this::alerts);
  }

  // --- alerts ---

  private void alerts(Context ctx) {
    List<Map<String, Object>> active = new ArrayList<>();
    for (Alert a : alerts.active()) {
      active.add(alert(a));
    }
    List<Map<String, Object>> resolved = new ArrayList<>();
    for (Alert a : alerts.resolved()) {
      resolved.add(alert(a));
    }
    List<Map<String, Object>> rules = new ArrayList<>();
    for (AlertRule r : alerts.rules().rules()) {
      rules.add(
          map(
              "name", r.name(),
              "kind", r.kind().name().toLowerCase(Locale.ROOT),
              "service", r.service(),
              "threshold", r.threshold(),
              "window", r.windowMillis(),
              "severity", r.severity()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("alerts", active);
    body.put("resolved", resolved);
    body.put("rules", rules);
    body.put("rulesFile", alerts.rulesFile() == null ? null : alerts.rulesFile().toString());
    body.put("rulesError", alerts.rulesError());
    body.put("evaluationInterval", alerts.rules().evaluationIntervalMillis());
    body.put("evaluatedAt", alerts.lastEvaluation());
    ctx.contentType(JSON).result(Json.write(body));
  }

  private static Map<String, Object> alert(Alert a) {
    return map(
        "name", a.rule(),
        "service", a.service(),
        "severity", a.severity(),
        "state", a.state().name().toLowerCase(Locale.ROOT),
        "value", Double.isFinite(a.value()) ? a.value() : null,
        "threshold", a.threshold(),
        "activeSince", a.activeSinceMillis(),
        "firedAt", a.firedAtMillis(),
        "resolvedAt", a.resolvedAtMillis(),
        "summary", a.summary(),
        "exemplarTraceIds", a.exemplarTraceIds());
  }

  // --- helpers ---

  /** An ordered map of {@code key, value, key, value, ...}: the JSON objects of these routes. */
  static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
