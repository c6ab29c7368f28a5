package dev.uat.events;

import static dev.uat.telemetry.UatAttributes.EVENT_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_DESTINATION_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_DESTINATION_TEMPLATE;
import static dev.uat.telemetry.UatAttributes.MESSAGING_OPERATION_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_OPERATION_TYPE;
import static dev.uat.telemetry.UatAttributes.MESSAGING_SYSTEM;
import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TraceParent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * Publishes events inside the current trace: a PRODUCER span {@code send <channel template>}
 * (OpenTelemetry messaging conventions) whose context travels in the event's {@code traceparent},
 * so that the realtime delivery appears in the trace of the request that caused it.
 */
public final class EventPublisher {
  private final EventBus bus;
  private final Tracer tracer;

  public EventPublisher(EventBus bus, Telemetry telemetry) {
    this.bus = requireNonNull(bus, "bus");
    this.tracer = telemetry.tracer();
  }

  /** Publishes {@code name} with {@code data} to {@code channel}; never throws. */
  public void publish(String channel, String name, Object data) {
    String template = Event.template(channel);
    Span span =
        tracer
            .spanBuilder("send " + template)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute(MESSAGING_SYSTEM, bus.system())
            .setAttribute(MESSAGING_OPERATION_TYPE, "send")
            .setAttribute(MESSAGING_OPERATION_NAME, "send")
            .setAttribute(MESSAGING_DESTINATION_NAME, channel)
            .setAttribute(MESSAGING_DESTINATION_TEMPLATE, template)
            .setAttribute(EVENT_NAME, name)
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      bus.publish(new Event(channel, name, data, traceparent(span), System.currentTimeMillis()));
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
    } finally {
      span.end();
    }
  }

  /**
   * Publishes a high-rate event (a streamed token, say) without a span of its own: it carries the
   * context of the current span, so it still belongs to the request's trace, and a model's answer
   * does not become hundreds of PRODUCER spans. Never throws.
   */
  public void publishUntraced(String channel, String name, Object data) {
    try {
      bus.publish(
          new Event(channel, name, data, traceparent(Span.current()), System.currentTimeMillis()));
    } catch (RuntimeException e) {
      Span.current().recordException(e);
    }
  }

  /**
   * Whether an event published to {@code channel} now may reach someone ({@link
   * EventBus#listened}): false only when the bus knows nobody listens. Never blocks, never throws.
   */
  public boolean listened(String channel) {
    try {
      return bus.listened(channel);
    } catch (RuntimeException e) {
      return true;
    }
  }

  /**
   * The W3C {@code traceparent} of {@code span} as the propagator writes it, or null for an invalid
   * context (what {@link Event#traceparent()} holds).
   */
  public static String traceparent(Span span) {
    return TraceParent.of(Context.root().with(span)).orElse(null);
  }
}
