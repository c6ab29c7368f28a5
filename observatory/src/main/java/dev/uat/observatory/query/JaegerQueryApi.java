package dev.uat.observatory.query;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.DependencyLink;
import dev.uat.observatory.store.Operation;
import dev.uat.observatory.store.SpanMatcher;
import dev.uat.observatory.store.SpanStore;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The Jaeger-compatible query API (v1, as the Jaeger UI and Grafana's Jaeger data source use it):
 * {@code /api/services}, {@code /api/services/{service}/operations}, {@code
 * /api/operations?service=&spanKind=}, {@code /api/traces} (search, see {@link SearchParams}),
 * {@code /api/traces/{traceId}} and {@code /api/dependencies?endTs=&lookback=&service=}, answered
 * in the Jaeger envelope {@code {"data","total","limit","offset","errors"}}, errors included (404
 * for an unknown trace, 400 for bad parameters, with Jaeger's messages).
 *
 * <p>Thread-safe; handlers read the {@link SpanStore} on the request's thread.
 */
public final class JaegerQueryApi {
  private static final String JSON = "application/json";

  /** Jaeger's default look-back for dependencies: one day. */
  static final long DEFAULT_DEPENDENCY_LOOKBACK_MILLIS = 24L * 3600 * 1000;

  private final SpanStore store;
  private final Clock clock;

  public JaegerQueryApi(SpanStore store) {
    this(store, Clock.systemUTC());
  }

  public JaegerQueryApi(SpanStore store, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Registers the routes; pass as {@code Service.builder(..).routes(api::register)}. */
  public void register(JavalinConfig cfg) {
    cfg.routes.get("/api/traces/{traceId}", this::trace);
    cfg.routes.get("/api/traces", this::search);
    cfg.routes.get("/api/services", this::services);
    cfg.routes.get("/api/services/{service}/operations", this::operationNames);
    cfg.routes.get("/api/operations", this::operations);
    cfg.routes.get("/api/dependencies", this::dependencies);
  }

  /**
   * Reads Jaeger search parameters (service, operation, tags, durations, start/end, lookback,
   * limit) into a query, for other APIs that take the same parameters.
   *
   * @throws IllegalArgumentException with Jaeger's message for bad parameters
   */
  public static dev.uat.observatory.store.TraceQuery searchQuery(
      java.util.Map<String, List<String>> params, long nowEpochMillis) {
    return SearchParams.parse(params, nowEpochMillis).query();
  }

  private void trace(Context ctx) {
    String id = ctx.pathParam("traceId");
    TraceId traceId;
    try {
      traceId = TraceId.parse(id);
    } catch (IllegalArgumentException e) {
      error(ctx, 400, "malformed trace id '" + id + "': " + e.getMessage());
      return;
    }
    Optional<Trace> trace = store.trace(traceId);
    if (trace.isEmpty()) {
      error(ctx, 404, "trace not found");
      return;
    }
    ctx.contentType(JSON).result(JaegerJson.traces(List.of(trace.get())));
  }

  private void search(Context ctx) {
    SearchParams params;
    try {
      params = SearchParams.parse(ctx.queryParamMap(), clock.millis());
    } catch (IllegalArgumentException e) {
      error(ctx, 400, e.getMessage());
      return;
    }
    if (!params.traceIds().isEmpty()) {
      List<Trace> found = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      for (TraceId id : params.traceIds()) {
        store
            .trace(id)
            .ifPresentOrElse(
                found::add, () -> missing.add(JaegerJson.traceId(id.high(), id.low())));
      }
      ctx.contentType(JSON).result(JaegerJson.traces(found, missing));
      return;
    }
    ctx.contentType(JSON).result(JaegerJson.traces(store.findTraces(params.query())));
  }

  private void services(Context ctx) {
    ctx.contentType(JSON).result(JaegerJson.strings(store.services()));
  }

  /** The legacy form: unique names of every kind. */
  private void operationNames(Context ctx) {
    TreeSet<String> names = new TreeSet<>();
    for (Operation operation : store.operations(ctx.pathParam("service"))) {
      names.add(operation.name());
    }
    ctx.contentType(JSON).result(JaegerJson.strings(List.copyOf(names)));
  }

  private void operations(Context ctx) {
    String service = ctx.queryParam("service");
    if (service == null || service.isBlank()) {
      error(ctx, 400, "parameter 'service' is required");
      return;
    }
    String spanKind = Optional.ofNullable(ctx.queryParam("spanKind")).orElse("").trim();
    List<Operation> operations = new ArrayList<>();
    for (Operation operation : store.operations(service)) {
      if (spanKind.isEmpty() || spanKind.equalsIgnoreCase(kindText(operation.kind()))) {
        operations.add(operation);
      }
    }
    ctx.contentType(JSON).result(JaegerJson.operations(operations));
  }

  private static String kindText(SpanKind kind) {
    String tag = SpanMatcher.kindTag(kind);
    return tag == null ? "" : tag.toLowerCase(Locale.ROOT);
  }

  private void dependencies(Context ctx) {
    long endTs;
    long lookback;
    try {
      String end = ctx.queryParam("endTs");
      endTs = end == null || end.isBlank() ? clock.millis() : Long.parseLong(end.trim());
      String back = ctx.queryParam("lookback");
      lookback =
          back == null || back.isBlank()
              ? DEFAULT_DEPENDENCY_LOOKBACK_MILLIS
              : Long.parseLong(back.trim());
      if (endTs < 0 || lookback < 0) {
        throw new NumberFormatException("negative");
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "unable to parse param 'endTs' or 'lookback': expected milliseconds");
      return;
    }
    String service = Optional.ofNullable(ctx.queryParam("service")).orElse("");
    List<DependencyLink> links = new ArrayList<>();
    for (DependencyLink link : store.dependencies(endTs, lookback)) {
      if (service.isEmpty() || link.parent().equals(service) || link.child().equals(service)) {
        links.add(link);
      }
    }
    ctx.contentType(JSON).result(JaegerJson.dependencies(links));
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).contentType(JSON).result(JaegerJson.error(status, message));
  }
}
