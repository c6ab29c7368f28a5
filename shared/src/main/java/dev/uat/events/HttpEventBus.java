package dev.uat.events;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.TokenIssuer;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Json;
import dev.uat.web.Urls;
import io.opentelemetry.api.metrics.LongCounter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publish-only bus that posts each event to a realtime service's {@code /internal/events},
 * authenticated with a short-lived service token: the distributed mode for one realtime instance
 * without Redis. Asynchronous: {@link #publish} returns at once; failures are logged and counted in
 * {@code uat.events.publish.failed}.
 */
public final class HttpEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(HttpEventBus.class);
  private static final String AUDIENCE = "uat-realtime";

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
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token())
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(event)))
            .build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              if (error != null || response.statusCode() != 202) {
                failures.add(1);
                log.warn(
                    "event {} for {} not delivered to {}: {}",
                    event.event(),
                    event.channel(),
                    endpoint,
                    error != null ? error.toString() : "HTTP " + response.statusCode());
              }
            });
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
