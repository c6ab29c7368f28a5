package dev.uat.observatory.ui;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.alerts.Alert;
import dev.uat.observatory.alerts.AlertEvaluator;
import dev.uat.observatory.alerts.AlertRule;
import dev.uat.observatory.metrics.GenAiMetrics;
import dev.uat.observatory.metrics.RedMetrics;
import dev.uat.observatory.metrics.Stats;
import dev.uat.observatory.model.AttributeText;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.DependencyLink;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.observatory.store.TraceSummary;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
  private static final String JSON = "application/json";
  private static final long MINUTE = 60_000;

  private final SpanStore store;
  private final RedMetrics red;
  private final GenAiMetrics genAi;
  private final AlertEvaluator alerts;
  private final Clock clock;
  private final Function<Map<String, List<String>>, TraceQuery> searchParser;

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
    this.store = requireNonNull(store, "store");
    this.red = requireNonNull(red, "red");
    this.genAi = requireNonNull(genAi, "genAi");
    this.alerts = requireNonNull(alerts, "alerts");
    this.clock = requireNonNull(clock, "clock");
    this.searchParser = requireNonNull(searchParser, "searchParser");
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.get("/api/ui/search", this::search);
    cfg.routes.get("/api/ui/trace/{traceId}", this::trace);
    cfg.routes.get("/api/ui/trace/{traceId}/span/{spanId}", this::span);
    cfg.routes.get("/api/ui/services", this::services);
    cfg.routes.get("/api/ui/red", this::redSeries);
    cfg.routes.get("/api/ui/map", this::map);
    cfg.routes.get("/api/ui/genai", this::genAi);
    cfg.routes.get("/api/alerts", this::alerts);
  }

  // --- search and traces ---

  private void search(Context ctx) {
    TraceQuery query;
    try {
      query = searchParser.apply(ctx.queryParamMap());
    } catch (IllegalArgumentException e) {
      throw HttpError.invalid(e.getMessage());
    }
    List<Map<String, Object>> traces = new ArrayList<>();
    for (TraceSummary s : store.findTraceSummaries(query)) {
      List<Map<String, Object>> services = new ArrayList<>();
      s.spansByService().forEach((k, v) -> services.add(map("name", k, "spans", v)));
      traces.add(
          map(
              "traceId", s.traceId().toHex(),
              "rootService", s.rootService(),
              "rootName", s.rootName(),
              "start", s.startEpochNanos() / 1000,
              "duration", s.durationNanos() / 1000,
              "spans", s.spanCount(),
              "errors", s.errorCount(),
              "services", services));
    }
    ctx.contentType(JSON).result(Json.write(map("traces", traces, "limit", query.limit())));
  }

  private Trace requireTrace(Context ctx) {
    TraceId id;
    try {
      id = TraceId.parse(ctx.pathParam("traceId"));
    } catch (IllegalArgumentException e) {
      throw HttpError.invalid("malformed trace id: " + e.getMessage());
    }
    return store.trace(id).orElseThrow(() -> HttpError.notFound("trace not found"));
  }

  /** The compact form: parallel arrays, parents as indexes (-1: root or parent missing). */
  private void trace(Context ctx) {
    Trace trace = requireTrace(ctx);
    List<Span> spans = trace.spans();
    int n = spans.size();
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    Map<Long, Integer> index = new java.util.HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      index.putIfAbsent(spans.get(i).spanId(), i);
      start = Math.min(start, spans.get(i).startEpochNanos());
      end = Math.max(end, spans.get(i).endEpochNanos());
    }
    Map<String, Integer> services = new LinkedHashMap<>();
    Map<String, Integer> names = new LinkedHashMap<>();
    int[] parents = new int[n];
    int[] svc = new int[n];
    int[] name = new int[n];
    for (int i = 0; i < n; i++) {
      Span s = spans.get(i);
      Integer p = s.isRoot() ? null : index.get(s.parentSpanId());
      parents[i] = p == null || p == i ? -1 : p;
      svc[i] = services.computeIfAbsent(s.serviceName(), k -> services.size());
      name[i] = names.computeIfAbsent(s.name(), k -> names.size());
    }
    final long origin = start;
    final long traceEnd = end;
    byte[] body =
        write(
            g -> {
              g.writeStartObject();
              g.writeStringField("traceId", trace.traceId().toHex());
              g.writeNumberField("start", origin / 1000);
              g.writeNumberField("duration", Math.max(0, traceEnd - origin) / 1000);
              g.writeArrayFieldStart("services");
              for (String s : services.keySet()) {
                g.writeString(s);
              }
              g.writeEndArray();
              g.writeArrayFieldStart("names");
              for (String s : names.keySet()) {
                g.writeString(s);
              }
              g.writeEndArray();
              g.writeObjectFieldStart("spans");
              g.writeArrayFieldStart("id");
              for (Span s : spans) {
                g.writeString(Ids.hex(s.spanId()));
              }
              g.writeEndArray();
              ints(g, "parent", parents);
              ints(g, "service", svc);
              ints(g, "name", name);
              g.writeArrayFieldStart("start");
              for (Span s : spans) {
                g.writeNumber((s.startEpochNanos() - origin) / 1000);
              }
              g.writeEndArray();
              g.writeArrayFieldStart("duration");
              for (Span s : spans) {
                g.writeNumber(s.durationNanos() / 1000);
              }
              g.writeEndArray();
              g.writeArrayFieldStart("kind");
              for (Span s : spans) {
                g.writeNumber(s.kind().ordinal());
              }
              g.writeEndArray();
              g.writeArrayFieldStart("status");
              for (Span s : spans) {
                g.writeNumber(s.statusCode().ordinal());
              }
              g.writeEndArray();
              g.writeArrayFieldStart("events");
              for (Span s : spans) {
                g.writeNumber(s.events().size());
              }
              g.writeEndArray();
              g.writeArrayFieldStart("links");
              for (Span s : spans) {
                g.writeNumber(s.links().size());
              }
              g.writeEndArray();
              g.writeEndObject();
              g.writeEndObject();
            });
    ctx.contentType(JSON).result(body);
  }

  private static void ints(JsonGenerator g, String field, int[] values) throws IOException {
    g.writeArrayFieldStart(field);
    for (int v : values) {
      g.writeNumber(v);
    }
    g.writeEndArray();
  }

  private void span(Context ctx) {
    Trace trace = requireTrace(ctx);
    long spanId;
    try {
      String text = ctx.pathParam("spanId");
      if (text.isEmpty() || text.length() > 16) {
        throw new IllegalArgumentException("1 to 16 hex characters");
      }
      spanId = Ids.parseHex(text, 0, text.length());
    } catch (IllegalArgumentException e) {
      throw HttpError.invalid("malformed span id: " + e.getMessage());
    }
    Span span =
        trace.spans().stream()
            .filter(s -> s.spanId() == spanId)
            .findFirst()
            .orElseThrow(() -> HttpError.notFound("no such span in this trace"));
    List<Map<String, Object>> events = new ArrayList<>();
    for (Event e : span.events()) {
      events.add(
          map(
              "time", e.epochNanos() / 1000,
              "name", e.name(),
              "attributes", attributes(e.attributes())));
    }
    List<Map<String, Object>> links = new ArrayList<>();
    for (Link l : span.links()) {
      links.add(
          map(
              "traceId", l.traceId().toHex(),
              "spanId", Ids.hex(l.spanId()),
              "attributes", attributes(l.attributes()),
              "stored", store.trace(l.traceId()).isPresent()));
    }
    Map<String, Object> body =
        map(
            "traceId", trace.traceId().toHex(),
            "spanId", Ids.hex(span.spanId()),
            "parentSpanId", span.isRoot() ? "" : Ids.hex(span.parentSpanId()),
            "name", span.name(),
            "service", span.serviceName(),
            "kind", span.kind().name().toLowerCase(Locale.ROOT),
            "status", span.statusCode().name(),
            "statusMessage", span.statusMessage(),
            "start", span.startEpochNanos() / 1000,
            "duration", span.durationNanos() / 1000,
            "attributes", attributes(span.attributes()),
            "resource", attributes(span.resource().attributes()),
            "scope", map("name", span.scope().name(), "version", span.scope().version()),
            "events", events,
            "links", links,
            "traceState", span.traceState(),
            "flags", span.flags(),
            "dropped",
                map(
                    "attributes", span.droppedAttributesCount(),
                    "events", span.droppedEventsCount(),
                    "links", span.droppedLinksCount()));
    ctx.contentType(JSON).result(Json.write(body));
  }

  private static List<Map<String, Object>> attributes(Attributes attributes) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (int i = 0; i < attributes.size(); i++) {
      Object v = attributes.value(i);
      String type =
          switch (v) {
            case String s -> "string";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "double";
            default -> "other";
          };
      list.add(map("key", attributes.key(i), "type", type, "value", AttributeText.of(v)));
    }
    return list;
  }

  // --- RED, map, GenAI ---

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

  private void map(Context ctx) {
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

  private interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Writer writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
