package dev.uat.realtime;

import static dev.uat.telemetry.UatAttributes.EVENT_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_DESTINATION_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_DESTINATION_TEMPLATE;
import static dev.uat.telemetry.UatAttributes.MESSAGING_MESSAGE_ID;
import static dev.uat.telemetry.UatAttributes.MESSAGING_OPERATION_NAME;
import static dev.uat.telemetry.UatAttributes.MESSAGING_OPERATION_TYPE;
import static dev.uat.telemetry.UatAttributes.MESSAGING_SYSTEM;
import static dev.uat.telemetry.UatAttributes.REALTIME_RECIPIENTS;

import dev.uat.auth.Revocation;
import dev.uat.events.Event;
import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fan-out: the channels' members, and the ONE delivery thread that alone numbers in-memory events,
 * coalesces deltas ({@link Streams}) and walks a channel's members, so that every channel's events
 * go out in offset order without per-channel locks. Each broadcast is encoded once and handed to
 * every member's connection, under one CONSUMER span.
 *
 * <p>{@link #publish} and {@link #deliver} only queue a task for the delivery thread (bounded:
 * {@link #MAX_PENDING} events, {@link #MAX_PENDING_BYTES}; beyond, events are dropped and counted),
 * and sending only queues bytes on each connection: neither blocks the publisher.
 */
final class Delivery {
  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  /** Events waiting for the delivery thread at most; more are dropped and counted. */
  static final int MAX_PENDING = 100_000;

  /**
   * Bytes of events waiting for the delivery thread at most (each weighed as three times its JSON
   * plus 256: its tree and its bytes); more are dropped and counted.
   */
  static final long MAX_PENDING_BYTES = 32L * 1024 * 1024;

  /**
   * Channels of this prefix are the platform's own ({@link Revocation#CHANNEL}): never delivered.
   */
  static final String INTERNAL = "internal:";

  @SuppressWarnings("deprecation") // keys(): required by the interface, unused by W3C extraction
  private static final TextMapGetter<String> TRACEPARENT =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
          return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
          return "traceparent".equals(key) ? carrier : null;
        }
      };

  private final RealtimeSettings settings;
  private final String system;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final HubMetrics metrics;
  private final ScheduledExecutorService timers;
  private final Streams streams;
  private final ScheduledThreadPoolExecutor thread;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final Map<String, Set<Subscription>> channels = new ConcurrentHashMap<>();

  Delivery(
      RealtimeSettings settings,
      Telemetry telemetry,
      HubMetrics metrics,
      String messagingSystem,
      ScheduledExecutorService timers) {
    this.settings = settings;
    this.system = messagingSystem;
    this.tracer = telemetry.tracer();
    this.propagator = telemetry.propagators().getTextMapPropagator();
    this.metrics = metrics;
    this.timers = timers;
    this.thread =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().daemon().name("realtime-delivery").factory());
    this.thread.setRemoveOnCancelPolicy(true);
    this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.streams = new Streams(this, settings.deltaInterval());
  }

  // ---------------------------------------------------------------- members

  /** Adds {@code s} to its channel's members; on the delivery thread, so between two events. */
  void join(Subscription s) {
    onDeliveryThread(
        () -> channels.computeIfAbsent(s.channel, k -> ConcurrentHashMap.newKeySet()).add(s));
  }

  /** Removes {@code s} from its channel's members (from any thread). */
  void remove(Subscription s) {
    channels.computeIfPresent(
        s.channel,
        (k, members) -> {
          members.remove(s);
          return members.isEmpty() ? null : members;
        });
  }

  /**
   * Whether a connection of this instance is subscribed to {@code channel} (from any thread; a
   * subscription being joined counts once it is a member).
   */
  boolean listened(String channel) {
    return channels.containsKey(channel);
  }

  /** This instance's members of {@code channel}; null when it has none. */
  Set<Subscription> members(String channel) {
    return channels.get(channel);
  }

  // ---------------------------------------------------------------- events in

  /**
   * An event from a bus that does not number events (in-process, HTTP): numbered by {@code memory}.
   */
  void publish(Event event, MemoryHistory memory) {
    if (event.channel().startsWith(INTERNAL)) {
      return; // the platform's own signals: neither kept nor delivered
    }
    long received = System.currentTimeMillis();
    // converted here, on the publisher's thread, so that what waits is weighed
    MemoryHistory.Prepared prepared = MemoryHistory.prepare(event);
    submit(() -> dispatch(memory.append(prepared), received), prepared.weight());
  }

  /**
   * An event from Redis whose message was {@code bytes} long: numbered, or unnumbered (offset 0)
   * when Redis did not take it ({@link RedisEventBus#deliverHere}).
   */
  void deliver(Publication p, int bytes) {
    if (p.channel().startsWith(INTERNAL)) {
      return;
    }
    if (p.offset() == 0) {
      metrics.unnumbered.add(1);
    }
    long received = System.currentTimeMillis();
    submit(() -> dispatch(p, received), 256 + 3L * bytes);
  }

  private void submit(Runnable task, long weight) {
    long bytes = pendingBytes.addAndGet(weight);
    if (pending.incrementAndGet() > MAX_PENDING || bytes > MAX_PENDING_BYTES) {
      unqueued(weight);
      metrics.dropped.add(1);
      return;
    }
    try {
      thread.execute(
          () -> {
            unqueued(weight);
            task.run();
          });
    } catch (RejectedExecutionException e) {
      unqueued(weight); // shutting down
    }
  }

  private void unqueued(long weight) {
    pending.decrementAndGet();
    pendingBytes.addAndGet(-weight);
  }

  // ---------------------------------------------------------------- the delivery thread

  /** Runs {@code task} on the delivery thread (after what is queued). */
  void execute(Runnable task) {
    try {
      thread.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.warn("delivery task failed", e);
            }
          });
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  void schedule(Runnable task, long nanos) {
    try {
      thread.schedule(task, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  /** Runs {@code task} on the delivery thread and waits for it; throws when it cannot. */
  private void onDeliveryThread(Runnable task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      thread.execute(
          () -> {
            try {
              task.run();
              done.complete(null);
            } catch (RuntimeException e) {
              done.completeExceptionally(e);
            }
          });
      done.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("delivery thread unavailable", e);
    }
  }

  /** Ends the streams that have been quiet too long (on the delivery thread). */
  void sweep() {
    execute(streams::sweep);
  }

  // ---------------------------------------------------------------- fan-out

  /** On the delivery thread: one event to every local subscriber of its channel. */
  private void dispatch(Publication p, long receivedMillis) {
    metrics.pubsubLag.record(
        Math.max(0, receivedMillis - p.event().timestampMillis()) / 1e3, metrics.system);
    if (Streams.DELTA.equals(p.event().event()) && streams.delta(p)) {
      return;
    }
    streams.beforeEvent(p);
    broadcast(p);
  }

  private void broadcast(Publication p) {
    Event event = p.event();
    Set<Subscription> members = channels.get(event.channel());
    int recipients = members == null ? 0 : members.size();
    Span span =
        consumerSpan(event.channel(), event.traceparent(), event.event())
            .setAttribute(REALTIME_RECIPIENTS, (long) recipients)
            .setAttribute(MESSAGING_MESSAGE_ID, Long.toString(p.offset()))
            .startSpan();
    Broadcast tracker = null;
    try (Scope ignored = span.makeCurrent()) {
      if (recipients == 0) {
        return;
      }
      long start = System.nanoTime();
      ByteBuffer frame = Frames.event(p);
      tracker = new Broadcast(span, Event.template(event.channel()), start, true, this::delivered);
      send(members, frame, p.offset(), p.epoch(), tracker, start);
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      log.warn("delivery of {} to {} failed", event.event(), event.channel(), e);
    } finally {
      if (tracker == null) {
        span.end();
      } else {
        Broadcast b = tracker;
        timers.schedule(b::end, settings.ackWindow().toMillis(), TimeUnit.MILLISECONDS);
        b.release();
      }
    }
  }

  /** Queues one encoded frame for every member. */
  void send(
      Set<Subscription> members,
      ByteBuffer frame,
      long offset,
      String epoch,
      Broadcast b,
      long start) {
    int sent = 0;
    long maxHeld = settings.maxQueueBytes();
    for (Subscription s : members) {
      if (s.deliver(frame, offset, epoch, b, maxHeld)) {
        sent++;
      }
    }
    metrics.messagesSent.add(sent);
    metrics.broadcastDuration.record((System.nanoTime() - start) / 1e9);
  }

  private void delivered(double seconds, Broadcast b) {
    metrics.delivery.record(seconds, Attributes.of(MESSAGING_DESTINATION_TEMPLATE, b.template));
  }

  Broadcast.Recorder recorder() {
    return this::delivered;
  }

  /** The CONSUMER span of a delivery, child of the publisher's span. */
  SpanBuilder consumerSpan(String channel, String traceparent, String eventName) {
    String template = Event.template(channel);
    return tracer
        .spanBuilder("process " + template)
        .setParent(parent(traceparent))
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(MESSAGING_SYSTEM, system)
        .setAttribute(MESSAGING_OPERATION_TYPE, "process")
        .setAttribute(MESSAGING_OPERATION_NAME, "process")
        .setAttribute(MESSAGING_DESTINATION_NAME, channel)
        .setAttribute(MESSAGING_DESTINATION_TEMPLATE, template)
        .setAttribute(EVENT_NAME, eventName);
  }

  Context parent(String traceparent) {
    return traceparent == null
        ? Context.root()
        : propagator.extract(Context.root(), traceparent, TRACEPARENT);
  }

  /** Ends the open streams and stops the delivery thread (waiting up to 2 s for what is queued). */
  void shutdown() {
    execute(streams::endAll);
    thread.shutdown();
    try {
      thread.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    thread.shutdownNow();
  }
}
