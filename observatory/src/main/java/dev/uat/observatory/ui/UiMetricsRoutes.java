package dev.uat.observatory.ui;

import static dev.uat.observatory.ui.UiApi.JSON;
import static dev.uat.observatory.ui.UiApi.map;
import static java.util.Objects.requireNonNull;

import dev.uat.observatory.metrics.GenAiMetrics;
import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.metrics.Stats;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.store.DependencyLink;
import dev.uat.observatory.store.SpanStore;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The UI's figures: RED per service and operation, time series, the service map, GenAI. */
final class UiMetricsRoutes {
  private static final long MINUTE = 60_000;

  private final SpanStore store;
  private final RedMetrics red;
  private final GenAiMetrics genAi;
  private final Clock clock;

  UiMetricsRoutes(SpanStore store, RedMetrics red, GenAiMetrics genAi, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.red = requireNonNull(red, "red");
    this.genAi = requireNonNull(genAi, "genAi");
    this.clock = requireNonNull(clock, "clock");
  }

  void register(JavalinConfig cfg) {
    cfg.routes.get("/api/ui/services", this::services);
    cfg.routes.get("/api/ui/red", this::redSeries);
    cfg.routes.get("/api/ui/map", this::serviceMap);
    cfg.routes.get("/api/ui/genai", this::genAi);
  }

  private long minutes(Context ctx, long fallback) {
    String text = ctx.queryParam("minutes");
    if (text == null || text.isBlank()) {
      return fallback;
    }
    try {
      long m = Long.parseLong(text.trim());
      if (m < 1 || m > 30) {
        throw new NumberFormatException();
      }
      return m;
    } catch (NumberFormatException e) {
      throw HttpError.invalid("'minutes' must be a whole number from 1 to 30");
    }
  }

  private static Set<SpanKind> kinds(Context ctx) {
    String text = ctx.queryParam("kinds");
    if (text == null || text.isBlank()) {
      return Set.of();
    }
    Set<SpanKind> kinds = EnumSet.noneOf(SpanKind.class);
    for (String k : text.split(",")) {
      try {
        kinds.add(SpanKind.valueOf(k.trim().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw HttpError.invalid("unknown span kind '" + k.trim() + "'");
      }
    }
    return kinds;
  }

  private static Map<String, Object> figures(Stats s, double minutes) {
    return map(
        "calls", s.calls(),
        "rate", s.calls() / (minutes * 60),
        "errors", s.errors(),
        "errorRatio", s.errorRatio(),
        "p50", number(s.quantileMillis(0.50)),
        "p95", number(s.quantileMillis(0.95)),
        "p99", number(s.quantileMillis(0.99)));
  }

  private static Object number(double v) {
    return Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0;
  }

  private void services(Context ctx) {
    long now = clock.millis();
    long minutes = minutes(ctx, 15);
    Set<SpanKind> kinds = kinds(ctx);
    List<Map<String, Object>> services = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>(store.services());
    Map<String, Long> lastSeen = red.lastSeen();
    names.addAll(lastSeen.keySet());
    for (String service : names) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", service);
      row.putAll(figures(red.stats(service, "", kinds, now - minutes * MINUTE, now), minutes));
      row.put("lastSeen", lastSeen.getOrDefault(service, 0L));
      services.add(row);
    }
    ctx.contentType(JSON).result(Json.write(map("minutes", minutes, "services", services)));
  }

  private void redSeries(Context ctx) {
    String service = ctx.queryParam("service");
    if (service == null || service.isBlank()) {
      throw HttpError.invalid("parameter 'service' is required");
    }
    String operation = ctx.queryParam("operation") == null ? "" : ctx.queryParam("operation");
    long now = clock.millis();
    long minutes = minutes(ctx, 30);
    Set<SpanKind> kinds = kinds(ctx);
    long step = Math.max(10_000, minutes * MINUTE / 60);
    long from = (now - minutes * MINUTE) / step * step + step;
    List<Map<String, Object>> points = new ArrayList<>();
    long t = from;
    for (Stats s : red.series(service, operation, kinds, from, now + 1, step)) {
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("t", t);
      point.putAll(figures(s, step / 60_000.0));
      points.add(point);
      t += step;
    }
    List<Map<String, Object>> operations = new ArrayList<>();
    red.operations(service)
        .forEach(
            (name, opKinds) -> {
              if (!kinds.isEmpty() && opKinds.stream().noneMatch(kinds::contains)) {
                return;
              }
              Map<String, Object> row = new LinkedHashMap<>();
              row.put("name", name);
              row.put(
                  "kinds", opKinds.stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toList());
              row.putAll(
                  figures(red.stats(service, name, kinds, now - minutes * MINUTE, now), minutes));
              operations.add(row);
            });
    ctx.contentType(JSON)
        .result(
            Json.write(
                map(
                    "service", service,
                    "operation", operation,
                    "step", step,
                    "points", points,
                    "operations", operations)));
  }

  private void serviceMap(Context ctx) {
    long now = clock.millis();
    long minutes = minutes(ctx, 30);
    List<DependencyLink> links = store.dependencies(now, minutes * MINUTE);
    Set<String> nodes = new LinkedHashSet<>();
    List<Map<String, Object>> edges = new ArrayList<>();
    for (DependencyLink link : links) {
      nodes.add(link.parent());
      nodes.add(link.child());
      edges.add(
          map(
              "parent", link.parent(),
              "child", link.child(),
              "calls", link.callCount(),
              "errors", link.errorCount()));
    }
    nodes.addAll(red.lastSeen().keySet());
    List<Map<String, Object>> nodeList = new ArrayList<>();
    for (String node : nodes) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", node);
      row.putAll(
          figures(
              red.stats(
                  node,
                  "",
                  EnumSet.of(SpanKind.SERVER, SpanKind.CONSUMER),
                  now - minutes * MINUTE,
                  now),
              minutes));
      nodeList.add(row);
    }
    ctx.contentType(JSON).result(Json.write(map("nodes", nodeList, "edges", edges)));
  }

  private void genAi(Context ctx) {
    long now = clock.millis();
    long minutes = minutes(ctx, 30);
    long step = Math.max(10_000, minutes * MINUTE / 30);
    long from = (now - minutes * MINUTE) / step * step + step;
    List<Map<String, Object>> models = new ArrayList<>();
    genAi
        .stats(now - minutes * MINUTE, now)
        .forEach(
            (key, s) -> {
              if (s.calls() == 0) {
                return;
              }
              Map<String, Object> row = new LinkedHashMap<>();
              row.put("provider", key.provider());
              row.put("model", key.model());
              row.put("operation", key.operation());
              row.putAll(figures(s, minutes));
              row.put("inputTokens", s.inputTokens());
              row.put("outputTokens", s.outputTokens());
              row.put("ttftP50", number(s.ttftQuantileMillis(0.5)));
              row.put("ttftP95", number(s.ttftQuantileMillis(0.95)));
              List<Map<String, Object>> points = new ArrayList<>();
              long t = from;
              for (Stats p : genAi.series(key, from, now + 1, step)) {
                points.add(
                    map(
                        "t", t,
                        "calls", p.calls(),
                        "tokens", p.inputTokens() + p.outputTokens(),
                        "p95", number(p.quantileMillis(0.95)),
                        "ttftP95", number(p.ttftQuantileMillis(0.95))));
                t += step;
              }
              row.put("points", points);
              models.add(row);
            });
    ctx.contentType(JSON)
        .result(Json.write(map("minutes", minutes, "step", step, "models", models)));
  }
}
