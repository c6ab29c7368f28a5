package dev.uat.realtime;

import static dev.uat.realtime.RealtimeAttributes.CONNECTION_ID;
import static dev.uat.telemetry.UatAttributes.REALTIME_DELIVERY_LATENCY_MS;
import static dev.uat.telemetry.UatAttributes.USER_ID;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One broadcast whose recipients acknowledge it: its CONSUMER span stays open until every
 * acknowledging recipient has answered or the ack window has passed, and each answer becomes a
 * {@code delivered} event on the span and a {@code uat.realtime.delivery.duration} measurement.
 * Thread-safe.
 */
final class Broadcast {
  /** Events one span may carry; more acknowledgements are measured but not recorded on it. */
  static final int MAX_SPAN_EVENTS = 64;

  interface Recorder {
    void delivered(double seconds, Broadcast b);
  }

  final Span span;
  final String template;
  private final long startNanos;
  private final boolean ownsSpan;
  private final Recorder recorder;
  // one hold for the broadcast loop itself, so that fast acknowledgements cannot end it early
  private final AtomicInteger remaining = new AtomicInteger(1);
  private final AtomicInteger events = new AtomicInteger();
  private final AtomicBoolean ended = new AtomicBoolean();

  Broadcast(Span span, String template, long startNanos, boolean ownsSpan, Recorder recorder) {
    this.span = span;
    this.template = template;
    this.startNanos = startNanos;
    this.ownsSpan = ownsSpan;
    this.recorder = recorder;
  }

  void expect() {
    remaining.incrementAndGet();
  }

  void acked(Connection c, long nowNanos) {
    long nanos = nowNanos - startNanos;
    recorder.delivered(nanos / 1e9, this);
    if (!ended.get() && events.incrementAndGet() <= MAX_SPAN_EVENTS) {
      span.addEvent(
          "delivered",
          Attributes.of(
              CONNECTION_ID,
              c.id,
              USER_ID,
              String.valueOf(c.userId()),
              REALTIME_DELIVERY_LATENCY_MS,
              nanos / 1e6));
    }
    release();
  }

  /** One fewer answer awaited; the last one ends the span. */
  void release() {
    if (remaining.decrementAndGet() <= 0) {
      end();
    }
  }

  /** Ends the span (at the latest when the ack window closes). */
  void end() {
    if (ended.compareAndSet(false, true) && ownsSpan) {
      span.end();
    }
  }
}
