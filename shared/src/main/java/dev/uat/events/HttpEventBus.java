package dev.uat.events;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.TokenIssuer;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Json;
import dev.uat.web.LogThrottle;
import dev.uat.web.Urls;
import io.opentelemetry.api.metrics.LongCounter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publish-only bus that posts each event to a realtime service's {@code /internal/events},
 * authenticated with a short-lived service token: the distributed mode for one realtime instance
 * without Redis, and where an api's Redis bus hands what Redis did not take ({@code
 * RedisEventBus#failOverTo}, with {@link #localOnly}). Asynchronous: {@link #publish} returns at
 * once. One channel's events are posted one after another, in the order they were published (a
 * streamed answer's deltas must not overtake each other on parallel connections); different
 * channels' go in parallel. Bounded: at most {@link #MAX_PENDING_BYTES} of events wait or are on
 * their way (past it an event fails at once), at most {@link #MAX_IN_FLIGHT} posts are on their way
 * (past it an event fails instead of being sent), an event still waiting for its channel's previous
 * one {@link #TIMEOUT} after it was published fails unsent, and one sent waits {@link #TIMEOUT} for
 * the answer. Failures are counted in {@code uat.events.publish.failed} and logged, one line every
 * 10 s at most.
 */
public final class HttpEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(HttpEventBus.class);
  private static final String AUDIENCE = "uat-realtime";

  /** The header that asks realtime to deliver to its own subscribers only ({@link #LOCAL}). */
  public static final String DELIVERY_HEADER = "Uat-Delivery";

  /** {@link #DELIVERY_HEADER}'s value for "this instance's subscribers only, not through Redis". */
  public static final String LOCAL = "local";

  /** Bytes of events (their JSON) waiting for their channel's previous one or on their way. */
  public static final long MAX_PENDING_BYTES = 16L * 1024 * 1024;

  /**
   * Posts on their way at once, at most (each may hold a connection; one channel has one at a
   * time): past it an event fails instead of being sent.
   */
  public static final int MAX_IN_FLIGHT = 256;

  /** How long an event may wait for its channel's previous one, and then for realtime's answer. */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final AtomicLong pendingBytes = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LogThrottle failureLog = new LogThrottle();

  /** Each channel's last event not yet answered: the next one is sent after it. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> tails =
      new ConcurrentHashMap<>();

  private final HttpClient http;
  private final URI endpoint;
  private final TokenIssuer issuer;
  private final String serviceName;
  private final LongCounter failures;
  private final boolean localOnly;
  private volatile TokenIssuer.Token token;

  public HttpEventBus(Telemetry telemetry, String realtimeUrl, TokenIssuer issuer) {
    this(telemetry, realtimeUrl, issuer, false);
  }

  /**
   * With {@code localOnly}, every post asks realtime to hand the event to its own subscribers only
   * ({@link #DELIVERY_HEADER}: {@link #LOCAL}), unnumbered, never through its Redis: an api's
   * fallback while Redis is away, whose events would otherwise be numbered late, after events
   * published later.
   */
  public HttpEventBus(
      Telemetry telemetry, String realtimeUrl, TokenIssuer issuer, boolean localOnly) {
    this.http = TracedHttpClient.jdk(telemetry);
    this.endpoint = URI.create(Urls.stripSlash(realtimeUrl) + "/internal/events");
    this.issuer = requireNonNull(issuer, "issuer");
    this.serviceName = telemetry.serviceName();
    this.failures = EventBus.publishFailures(telemetry);
    this.localOnly = localOnly;
  }

  @Override
  public void publish(Event event) {
    String channel = event.channel();
    String name = event.event();
    byte[] body;
    try {
      body = Json.write(event);
    } catch (RuntimeException e) {
      failed(channel, name, e.toString());
      return;
    }
    long cost = body.length;
    if (pendingBytes.addAndGet(cost) > MAX_PENDING_BYTES) {
      pendingBytes.addAndGet(-cost);
      failed(
          channel, name, "more than " + MAX_PENDING_BYTES / (1024 * 1024) + " MiB of events wait");
      return;
    }
    long published = System.nanoTime();
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(endpoint)
              .timeout(TIMEOUT)
              .header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + token())
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (localOnly) {
        b.header(DELIVERY_HEADER, LOCAL);
      }
      HttpRequest request = b.build();
      CompletableFuture<Void> sent =
          tails.compute(
              channel,
              (k, previous) ->
                  (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                      .thenCompose(x -> send(request, channel, name, cost, published)));
      sent.whenComplete((x, e) -> tails.remove(channel, sent));
    } catch (RuntimeException e) {
      pendingBytes.addAndGet(-cost);
      failed(channel, name, e.toString());
    }
  }

  /** Sends one event once its channel's previous one is answered; never completes exceptionally. */
  private CompletableFuture<Void> send(
      HttpRequest request, String channel, String name, long cost, long published) {
    if (System.nanoTime() - published > TIMEOUT.toNanos()) {
      pendingBytes.addAndGet(-cost);
      failed(
          channel,
          name,
          "waited " + TIMEOUT.toSeconds() + " s behind the channel's previous event");
      return CompletableFuture.completedFuture(null);
    }
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      settled(cost);
      failed(channel, name, "more than " + MAX_IN_FLIGHT + " posts on their way");
      return CompletableFuture.completedFuture(null);
    }
    try {
      return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .handle(
              (response, error) -> {
                settled(cost);
                if (error != null || response.statusCode() != 202) {
                  failed(
                      channel,
                      name,
                      error != null ? error.toString() : "HTTP " + response.statusCode());
                }
                return null;
              });
    } catch (RuntimeException e) {
      settled(cost);
      failed(channel, name, e.toString());
      return CompletableFuture.completedFuture(null);
    }
  }

  private void settled(long cost) {
    pendingBytes.addAndGet(-cost);
    inFlight.decrementAndGet();
  }

  /** Bytes of events waiting or on their way now. */
  long pendingBytes() {
    return pendingBytes.get();
  }

  /** Posts on their way now. */
  int inFlight() {
    return inFlight.get();
  }

  private void failed(String channel, String name, String why) {
    failures.add(1);
    long failed = failureLog.occurred();
    if (failed > 0) {
      log.warn(
          "event {} for {} not delivered to {}: {} ({} since the last such line; the next in 10 s"
              + " at the earliest)",
          name,
          channel,
          endpoint,
          why,
          failed);
    }
  }

  private String token() {
    TokenIssuer.Token t = token;
    if (t == null || t.expiresAt().isBefore(Instant.now().plusSeconds(60))) {
      t = issuer.service(serviceName, AUDIENCE);
      token = t;
    }
    return t.value();
  }

  @Override
  public AutoCloseable subscribe(Consumer<Event> subscriber) {
    throw new UnsupportedOperationException("an HTTP event bus only publishes");
  }

  @Override
  public String system() {
    return "http";
  }

  /**
   * Always true: whether the realtime service has a subscriber for {@code channel} would take a
   * call to it per chat. So the api streams every answer to a remote realtime.
   */
  @Override
  public boolean listened(String channel) {
    return true;
  }
}
