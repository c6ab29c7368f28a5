package dev.uat.events;

import static java.util.Objects.requireNonNull;

import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

/**
 * Publishes events inside the current trace: a PRODUCER span {@code send <channel template>}
 * (OpenTelemetry messaging conventions) whose context travels in the event's {@code traceparent},
 * so that the realtime delivery appears in the trace of the request that caused it.
 */
public final class EventPublisher {
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION_NAME =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> DESTINATION_TEMPLATE =
      AttributeKey.stringKey("messaging.destination.template");
  static final AttributeKey<String> EVENT_NAME = AttributeKey.stringKey("uat.event.name");

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
            .setAttribute(SYSTEM, bus.system())
            .setAttribute(OPERATION_TYPE, "send")
            .setAttribute(OPERATION_NAME, "send")
            .setAttribute(DESTINATION_NAME, channel)
            .setAttribute(DESTINATION_TEMPLATE, template)
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

  /** The W3C {@code traceparent} of {@code span}, or null for an invalid context. */
  public static String traceparent(Span span) {
    SpanContext c = span.getSpanContext();
    if (!c.isValid()) {
      return null;
    }
    return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
  }
}
