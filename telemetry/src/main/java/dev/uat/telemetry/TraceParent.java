package dev.uat.telemetry;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Optional;

/**
 * The W3C {@code traceparent} of a context, written by the W3C Trace Context propagator: what an
 * event carries to its consumers, what a WebSocket upgrade passes on, and (same format, level 2)
 * what a {@code traceresponse} header answers. Stateless and thread-safe.
 */
public final class TraceParent {
  private static final String FIELD = "traceparent";

  private static final TextMapSetter<String[]> SETTER =
      (carrier, key, value) -> {
        if (FIELD.equals(key)) {
          carrier[0] = value;
        }
      };

  private TraceParent() {}

  /** The {@code traceparent} of the span in {@code context}; empty when it has no valid span. */
  public static Optional<String> of(Context context) {
    String[] carrier = new String[1];
    W3CTraceContextPropagator.getInstance().inject(context, carrier, SETTER);
    return Optional.ofNullable(carrier[0]);
  }

  /** The {@code traceparent} of the current span; empty when there is none. */
  public static Optional<String> current() {
    return of(Context.current());
  }
}
