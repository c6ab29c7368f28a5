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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publish-only bus that posts each event to a realtime service's {@code /internal/events},
 * authenticated with a short-lived service token: the distributed mode for one realtime instance
 * without Redis, and where an api's Redis bus hands what Redis did not take ({@code
 * RedisEventBus#failOverTo}). Asynchronous: {@link #publish} returns at once; failures are counted
 * in {@code uat.events.publish.failed} and logged, one line every 10 s at most. At most {@link
 * #MAX_PENDING_BYTES} of events wait for realtime's answer (5 s each at most); past it an event
 * fails at once.
 */
public final class HttpEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(HttpEventBus.class);
  private static final String AUDIENCE = "uat-realtime";

  /** Bytes of events (their JSON) waiting for realtime's answer, at most. */
  public static final long MAX_PENDING_BYTES = 16L * 1024 * 1024;

  private final AtomicLong pendingBytes = new AtomicLong();
  private final LogThrottle failureLog = new LogThrottle();

  private final HttpClient http;
  private final URI endpoint;
  private final TokenIssuer issuer;
  private final String serviceName;
  private final LongCounter failures;
  private volatile TokenIssuer.Token token;

  public HttpEventBus(Telemetry telemetry, String realtimeUrl, TokenIssuer issuer) {
    this.http = TracedHttpClient.jdk(telemetry);
    this.endpoint = URI.create(Urls.stripSlash(realtimeUrl) + "/internal/events");
    this.issuer = requireNonNull(issuer, "issuer");
    this.serviceName = telemetry.serviceName();
    this.failures = EventBus.publishFailures(telemetry);
  }

  @Override
  public void publish(Event event) {
    byte[] body;
    try {
      body = Json.write(event);
    } catch (RuntimeException e) {
      failed(event, e.toString());
      return;
    }
    long cost = body.length;
    if (pendingBytes.addAndGet(cost) > MAX_PENDING_BYTES) {
      pendingBytes.addAndGet(-cost);
      failed(event, "more than " + MAX_PENDING_BYTES / (1024 * 1024) + " MiB of events wait");
      return;
    }
    try {
      HttpRequest request =
          HttpRequest.newBuilder(endpoint)
              .timeout(Duration.ofSeconds(5))
              .header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + token())
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                pendingBytes.addAndGet(-cost);
                if (error != null || response.statusCode() != 202) {
                  failed(event, error != null ? error.toString() : "HTTP " + response.statusCode());
                }
              });
    } catch (RuntimeException e) {
      pendingBytes.addAndGet(-cost);
      failed(event, e.toString());
    }
  }

  /** Bytes of events waiting for realtime's answer now. */
  long pendingBytes() {
    return pendingBytes.get();
  }

  private void failed(Event event, String why) {
    failures.add(1);
    long failed = failureLog.occurred();
    if (failed > 0) {
      log.warn(
          "event {} for {} not delivered to {}: {} ({} since the last such line; the next in 10 s"
              + " at the earliest)",
          event.event(),
          event.channel(),
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
