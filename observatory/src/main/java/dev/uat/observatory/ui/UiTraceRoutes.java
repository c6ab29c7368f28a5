package dev.uat.observatory.ui;

import static dev.uat.observatory.ui.UiApi.JSON;
import static dev.uat.observatory.ui.UiApi.map;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.uat.observatory.model.AttributeText;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The UI's search and trace routes: summaries, the compact columnar trace, one span in full. */
final class UiTraceRoutes {
  private final SpanStore store;
  private final Function<Map<String, List<String>>, TraceQuery> searchParser;

  UiTraceRoutes(SpanStore store, Function<Map<String, List<String>>, TraceQuery> searchParser) {
    this.store = requireNonNull(store, "store");
    this.searchParser = requireNonNull(searchParser, "searchParser");
  }

  void register(JavalinConfig cfg) {
    cfg.routes.get("/api/ui/search", this::search);
    cfg.routes.get("/api/ui/trace/{traceId}", this::trace);
    cfg.routes.get("/api/ui/trace/{traceId}/span/{spanId}", this::span);
  }

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
}
