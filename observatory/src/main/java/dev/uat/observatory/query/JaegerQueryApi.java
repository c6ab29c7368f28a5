package dev.uat.observatory.query;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.SpanStore;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Optional;

/**
 * The Jaeger-compatible query API: {@code GET /api/traces/{traceId}} and {@code GET /api/services},
 * answered in the Jaeger v1 JSON envelope {@code {"data","total","limit","offset","errors"}},
 * errors included (404 for an unknown trace, 400 for a malformed id).
 *
 * <p>Thread-safe; handlers read the {@link SpanStore} on the request's thread.
 */
public final class JaegerQueryApi {
  private static final String JSON = "application/json";

  private final SpanStore store;

  public JaegerQueryApi(SpanStore store) {
    this.store = requireNonNull(store, "store");
  }

  /** Registers the routes; pass as {@code Service.builder(..).routes(api::register)}. */
  public void register(JavalinConfig cfg) {
    cfg.routes.get("/api/traces/{traceId}", this::trace);
    cfg.routes.get("/api/services", this::services);
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

  private void services(Context ctx) {
    ctx.contentType(JSON).result(JaegerJson.strings(store.services()));
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).contentType(JSON).result(JaegerJson.error(status, message));
  }
}
