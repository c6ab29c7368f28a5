package dev.uat.router;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.router.provider.ChatResponse;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.semconv.DbAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared cache for several router instances: Redis through Lettuce, one multiplexed connection.
 * {@code GET} waits at most {@link #TIMEOUT}; {@code SET … PX} is sent without waiting. Each
 * command is a CLIENT span ({@code db.system.name=redis}) — no maintained Lettuce instrumentation
 * is served here. A Redis that is down makes misses, never errors; the connection is retried at
 * most every {@link #RECONNECT_INTERVAL}.
 */
final class RedisResponseCache implements ResponseCache {
  private static final Logger log = LoggerFactory.getLogger(RedisResponseCache.class);

  static final Duration TIMEOUT = Duration.ofMillis(250);
  static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(5);
  static final String PREFIX = "uat:router:cache:";

  private final RedisClient client;
  private final RedisURI uri;
  private final Duration ttl;
  private final Tracer tracer;
  private final Attributes getAttributes;
  private final Attributes setAttributes;
  private final ReentrantLock connecting = new ReentrantLock();
  private volatile StatefulRedisConnection<String, String> connection;
  private volatile long lastAttempt;

  RedisResponseCache(String url, Duration ttl, Telemetry telemetry) {
    this.uri = RedisURI.create(url);
    this.uri.setTimeout(TIMEOUT);
    this.client = RedisClient.create();
    this.ttl = ttl;
    this.tracer = telemetry.tracer();
    Attributes common =
        Attributes.builder()
            .put(DbAttributes.DB_SYSTEM_NAME, "redis")
            .put(ServerAttributes.SERVER_ADDRESS, uri.getHost())
            .put(ServerAttributes.SERVER_PORT, (long) uri.getPort())
            .build();
    this.getAttributes = common.toBuilder().put(DbAttributes.DB_OPERATION_NAME, "GET").build();
    this.setAttributes = common.toBuilder().put(DbAttributes.DB_OPERATION_NAME, "SET").build();
    this.lastAttempt = System.nanoTime() - RECONNECT_INTERVAL.toNanos();
    connection();
  }

  private StatefulRedisConnection<String, String> connection() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      return c;
    }
    if (System.nanoTime() - lastAttempt < RECONNECT_INTERVAL.toNanos() || !connecting.tryLock()) {
      return null;
    }
    try {
      lastAttempt = System.nanoTime();
      c = client.connect(uri);
      c.setTimeout(TIMEOUT);
      connection = c;
      log.info("response cache: Redis at {}:{}", uri.getHost(), uri.getPort());
      return c;
    } catch (RuntimeException e) {
      log.warn(
          "response cache: Redis at {}:{} is not reachable ({}); answers are not cached until it"
              + " is",
          uri.getHost(),
          uri.getPort(),
          e.getMessage());
      return null;
    } finally {
      connecting.unlock();
    }
  }

  @Override
  public ChatResponse get(String key) {
    StatefulRedisConnection<String, String> c = connection();
    if (c == null) {
      return null;
    }
    Span span =
        tracer
            .spanBuilder("GET")
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(getAttributes)
            .startSpan();
    try {
      String json = c.sync().get(PREFIX + key);
      return json == null ? null : Json.MAPPER.readValue(json, Cached.class).toResponse();
    } catch (Exception e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getMessage());
      span.setAttribute(ErrorAttributes.ERROR_TYPE, e.getClass().getName());
      return null;
    } finally {
      span.end();
    }
  }

  @Override
  public void put(String key, ChatResponse answer) {
    StatefulRedisConnection<String, String> c = connection();
    if (c == null) {
      return;
    }
    Span span =
        tracer
            .spanBuilder("SET")
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(setAttributes)
            .startSpan();
    try {
      c.async()
          .set(PREFIX + key, Json.writeString(Cached.of(answer)), SetArgs.Builder.px(ttl))
          .whenComplete(
              (ok, error) -> {
                if (error != null) {
                  span.recordException(error);
                  span.setStatus(StatusCode.ERROR, error.getMessage());
                  span.setAttribute(ErrorAttributes.ERROR_TYPE, error.getClass().getName());
                }
                span.end();
              });
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      span.end();
    }
  }

  @Override
  public void check() {
    StatefulRedisConnection<String, String> c = connection();
    if (c == null) {
      throw new IllegalStateException(
          "Redis at " + uri.getHost() + ":" + uri.getPort() + " is not reachable");
    }
    c.sync().ping();
  }

  @Override
  public void close() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Override
  public String toString() {
    return "RedisResponseCache{" + uri.getHost() + ":" + uri.getPort() + "}";
  }

  /** The stored form of an answer. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Cached(
      String model,
      String content,
      String finishReason,
      int inputTokens,
      int outputTokens,
      boolean tokensEstimated) {
    static Cached of(ChatResponse r) {
      return new Cached(
          r.model(),
          r.content(),
          r.finishReason(),
          r.inputTokens(),
          r.outputTokens(),
          r.tokensEstimated());
    }

    ChatResponse toResponse() {
      return new ChatResponse(
          ChatResponse.newId(),
          model,
          content,
          finishReason,
          inputTokens,
          outputTokens,
          Instant.now().getEpochSecond(),
          tokensEstimated);
    }
  }
}
