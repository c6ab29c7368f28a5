package dev.uat.observatory.query;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.Operation;
import dev.uat.observatory.store.SpanMatcher;
import dev.uat.observatory.store.SpanStore;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.observatory.store.TraceSummary;
import dev.uat.settings.Durations;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Jaeger's api_v3 over HTTP (the grpc-gateway form): {@code GET /api/v3/services} → {@code
 * {"services":[...]}}, {@code /api/v3/operations?service=&span_kind=} → {@code
 * {"operations":[{"name","spanKind"}]}}, {@code /api/v3/traces/{trace_id}} and {@code
 * /api/v3/traces?query.service_name=&query.operation_name=&query.start_time_min=&query.start_time_max=&query.duration_min=&query.duration_max=&query.num_traces=}
 * → {@code {"result":{"resourceSpans":[...]}}} (OTLP/JSON). Errors are {@code
 * {"error":{"httpCode","message"}}}; no trace found is a 404, as in Jaeger.
 *
 * <p>Also {@code /api/v3/trace-summaries} (same parameters; ours, not Jaeger's): {@code
 * {"summaries":[{"traceId","rootServiceName","rootSpanName","startTimeUnixNano","durationNanos",
 * "spanCount","errorCount","services":[{"name","spanCount"}]}]}}, for lists that need no spans.
 *
 * <p>Times are RFC 3339; {@code query.attributes} takes a JSON object of tags to match (as the v1
 * {@code tags} parameter). Thread-safe.
 */
public final class ApiV3 {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();
  private static final String JSON = "application/json";

  private final SpanStore store;

  public ApiV3(SpanStore store) {
    this.store = requireNonNull(store, "store");
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.get("/api/v3/services", this::services);
    cfg.routes.get("/api/v3/operations", this::operations);
    cfg.routes.get("/api/v3/traces/{trace_id}", this::trace);
    cfg.routes.get("/api/v3/traces", this::find);
    cfg.routes.get("/api/v3/trace-summaries", this::summaries);
  }

  private void services(Context ctx) {
    ctx.contentType(JSON).result(Json.write(Map.of("services", store.services())));
  }

  private void operations(Context ctx) {
    String service = Optional.ofNullable(ctx.queryParam("service")).orElse("");
    String kind = Optional.ofNullable(ctx.queryParam("span_kind")).orElse("").trim();
    List<Map<String, Object>> operations = new ArrayList<>();
    for (Operation operation : store.operations(service)) {
      String k = SpanMatcher.kindTag(operation.kind());
      String kindText = k == null ? "" : k;
      if (kind.isEmpty() || kind.equalsIgnoreCase(kindText)) {
        operations.add(Ordered.map("name", operation.name(), "spanKind", kindText));
      }
    }
    ctx.contentType(JSON).result(Json.write(Map.of("operations", operations)));
  }

  private void trace(Context ctx) {
    TraceId id;
    try {
      id = TraceId.parse(ctx.pathParam("trace_id"));
    } catch (IllegalArgumentException e) {
      error(ctx, 400, "malformed parameter trace_id: " + e.getMessage());
      return;
    }
    Optional<Trace> trace = store.trace(id);
    if (trace.isEmpty()) {
      error(ctx, 404, "trace not found");
      return;
    }
    result(ctx, trace.get().spans());
  }

  private void find(Context ctx) {
    TraceQuery query = query(ctx);
    if (query == null) {
      return;
    }
    List<Trace> traces = store.findTraces(query);
    if (traces.isEmpty()) {
      error(ctx, 404, "No traces found");
      return;
    }
    List<Span> spans = new ArrayList<>();
    traces.forEach(t -> spans.addAll(t.spans()));
    result(ctx, spans);
  }

  private void summaries(Context ctx) {
    TraceQuery query = query(ctx);
    if (query == null) {
      return;
    }
    List<Map<String, Object>> summaries = new ArrayList<>();
    for (TraceSummary s : store.findTraceSummaries(query)) {
      List<Map<String, Object>> services = new ArrayList<>();
      s.spansByService().forEach((k, v) -> services.add(Ordered.map("name", k, "spanCount", v)));
      summaries.add(
          Ordered.map(
              "traceId", Ids.hex(s.traceId().high(), s.traceId().low()),
              "rootServiceName", s.rootService(),
              "rootSpanName", s.rootName(),
              "startTimeUnixNano", Long.toString(s.startEpochNanos()),
              "durationNanos", Long.toString(s.durationNanos()),
              "spanCount", s.spanCount(),
              "errorCount", s.errorCount(),
              "services", services));
    }
    ctx.contentType(JSON).result(Json.write(Map.of("summaries", summaries)));
  }

  /** The query, or null after answering 400. */
  private TraceQuery query(Context ctx) {
    String min = ctx.queryParam("query.start_time_min");
    String max = ctx.queryParam("query.start_time_max");
    if (min == null || min.isBlank() || max == null || max.isBlank()) {
      error(ctx, 400, "query.start_time_min and query.start_time_max are required");
      return null;
    }
    try {
      long minNanos = nanos(min, "query.start_time_min");
      long maxNanos = nanos(max, "query.start_time_max");
      long durationMin = duration(ctx.queryParam("query.duration_min"), "query.duration_min");
      long durationMax = duration(ctx.queryParam("query.duration_max"), "query.duration_max");
      int limit = TraceQuery.DEFAULT_LIMIT;
      String n = ctx.queryParam("query.num_traces");
      if (n != null && !n.isBlank()) {
        try {
          limit = Integer.parseInt(n.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("malformed parameter query.num_traces: " + n);
        }
        if (limit <= 0) {
          limit = TraceQuery.DEFAULT_LIMIT;
        }
      }
      Map<String, String> tags = Map.of();
      String attributes = ctx.queryParam("query.attributes");
      if (attributes != null && !attributes.isBlank()) {
        tags = SearchParams.tags(Map.of("tags", List.of(attributes)));
      }
      return new TraceQuery(
          Optional.ofNullable(ctx.queryParam("query.service_name")).orElse(""),
          Optional.ofNullable(ctx.queryParam("query.operation_name")).orElse(""),
          tags,
          durationMin,
          durationMax,
          minNanos,
          maxNanos,
          limit);
    } catch (IllegalArgumentException e) {
      error(ctx, 400, e.getMessage());
      return null;
    }
  }

  private static long nanos(String text, String name) {
    try {
      Instant instant = Instant.parse(text.trim());
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "malformed parameter " + name + ": expected an RFC 3339 time, got '" + text + "'");
    }
  }

  private static long duration(String text, String name) {
    if (text == null || text.isBlank()) {
      return 0;
    }
    try {
      return Math.max(0, Durations.parseNanos(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed parameter " + name + ": " + e.getMessage());
    }
  }

  private static void result(Context ctx, List<Span> spans) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeFieldName("result");
      OtlpJson.tracesData(g, spans);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ctx.contentType(JSON).result(out.toByteArray());
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status)
        .contentType(JSON)
        .result(Json.write(Map.of("error", Ordered.map("httpCode", status, "message", message))));
  }
}
