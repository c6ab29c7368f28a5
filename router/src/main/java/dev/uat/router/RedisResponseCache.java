package dev.uat.router;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.router.provider.ChatResponse;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TimeoutOptions;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared cache for several router instances: Redis through Lettuce, one multiplexed connection.
 * {@code GET} waits at most {@link #TIMEOUT}; {@code SET … PX} is sent without waiting and given up
 * after the same time. Each command is a CLIENT span ({@code db.system.name=redis}) — no maintained
 * Lettuce instrumentation is served here. A Redis that is down never makes errors: lookups and
 * stores fall back to this router's own in-process cache ({@link CaffeineResponseCache}, bounded in
 * bytes like the cache of a router without Redis), and the connection is retried at most every
 * {@link #RECONNECT_INTERVAL}. A Redis that fails a command (it hangs, or went away under an open
 * connection) is skipped for {@link #COOL_OFF}: chats go to the local cache at once instead of each
 * waiting {@link #TIMEOUT}, then one lookup probes Redis again. Once Redis answers again it is the
 * cache again and the local one is emptied (an answer a caller refreshed with {@code no-cache} in
 * Redis meanwhile must not come back from it at the next outage). Answers waiting to be stored in
 * Redis are bounded in bytes ({@link #MAX_PENDING_BYTES}); past that they are stored locally.
 */
final class RedisResponseCache implements ResponseCache {
  private static final Logger log = LoggerFactory.getLogger(RedisResponseCache.class);

  static final Duration TIMEOUT = Duration.ofMillis(250);
  static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(5);
  static final String PREFIX = "uat:router:cache:";

  /** How long the cache is skipped after Redis failed a command. */
  static final Duration COOL_OFF = Duration.ofSeconds(5);

  /**
   * What {@code SET}s Redis has not acknowledged may hold (their values charged at 3 bytes a
   * character, the most UTF-8 takes): within {@link #TIMEOUT} a busy router sends many.
   */
  static final long MAX_PENDING_BYTES = 8L << 20;

  private final RedisClient client;
  private final RedisURI uri;
  private final Duration ttl;
  private final Tracer tracer;
  private final Attributes getAttributes;
  private final Attributes setAttributes;
  private final ReentrantLock connecting = new ReentrantLock();
  private volatile StatefulRedisConnection<String, String> connection;
  private volatile long lastAttempt;

  /** Opens at the first failed command; one lookup probes after {@link #COOL_OFF}. */
  private final CircuitBreaker breaker =
      new CircuitBreaker("redis-cache", 1, COOL_OFF.toNanos(), System::nanoTime, (b, f, t) -> {});

  private final AtomicLong pendingBytes = new AtomicLong();

  /** Where answers go while Redis cannot be used. */
  private final CaffeineResponseCache local;

  /** Whether {@link #local} may hold something (it is emptied when Redis answers again). */
  private volatile boolean localHolds;

  RedisResponseCache(String url, Duration ttl, Telemetry telemetry, CaffeineResponseCache local) {
    this.local = local;
    this.uri = RedisURI.create(url);
    this.uri.setTimeout(TIMEOUT);
    this.client = RedisClient.create();
    // asynchronous commands time out too (Lettuce's default waits for ever): a SET sent to a
    // hanging Redis gives its bytes back after TIMEOUT
    this.client.setOptions(
        ClientOptions.builder().timeoutOptions(TimeoutOptions.enabled(TIMEOUT)).build());
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

  /**
   * Redis answered: closes a half-open circuit (with a threshold of 1 a closed one has nothing to
   * reset) and empties the local cache if it was used meanwhile.
   */
  private void answered() {
    if (breaker.state() != CircuitBreaker.State.CLOSED) {
      breaker.onSuccess();
    }
    if (localHolds) {
      localHolds = false;
      local.clear();
      log.info("response cache: Redis answers again; the local fallback is emptied");
    }
  }

  /**
   * Stores in the local cache, then marks it as holding something: an {@link #answered} that
   * empties it concurrently either runs after the put (and removes the entry) or has cleared the
   * mark before this reads it (and the mark is set again), so no entry outlives its mark.
   */
  private void storeLocally(String key, ChatResponse answer) {
    local.put(key, answer);
    if (!localHolds) {
      localHolds = true;
      log.warn(
          "response cache: Redis at {}:{} cannot be used; answers are cached in this router until"
              + " it can",
          uri.getHost(),
          uri.getPort());
    }
  }

  @Override
  public ChatResponse get(String key) {
    if (!breaker.tryAcquire()) {
      return local.get(key);
    }
    StatefulRedisConnection<String, String> c = connection();
    if (c == null) {
      if (breaker.state() != CircuitBreaker.State.CLOSED) {
        breaker.onFailure(); // the probe let through ends unsent: open again
      }
      return local.get(key);
    }
    Span span =
        tracer
            .spanBuilder("GET")
            .setSpanKind(SpanKind.CLIENT)
            .setAllAttributes(getAttributes)
            .startSpan();
    try {
      String json;
      try {
        json = c.sync().get(PREFIX + key);
      } catch (RuntimeException e) {
        breaker.onFailure();
        failed(span, e);
        return local.get(key);
      }
      answered();
      return json == null ? null : Json.MAPPER.readValue(json, Cached.class).toResponse();
    } catch (Exception e) { // an entry that does not parse: a miss
      failed(span, e);
      return null;
    } finally {
      span.end();
    }
  }

  private static void failed(Span span, Throwable e) {
    span.recordException(e);
    span.setStatus(StatusCode.ERROR, e.getMessage());
    span.setAttribute(ErrorAttributes.ERROR_TYPE, e.getClass().getName());
  }

  @Override
  public void put(String key, ChatResponse answer) {
    StatefulRedisConnection<String, String> c =
        breaker.state() == CircuitBreaker.State.CLOSED ? connection() : null;
    if (c == null) {
      storeLocally(key, answer);
      return;
    }
    String json = Json.writeString(Cached.of(answer));
    long bytes = 3L * (json.length() + PREFIX.length() + key.length());
    if (pendingBytes.addAndGet(bytes) > MAX_PENDING_BYTES) {
      pendingBytes.addAndGet(-bytes);
      storeLocally(key, answer);
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
          .set(PREFIX + key, json, SetArgs.Builder.px(ttl))
          .whenComplete(
              (ok, error) -> {
                pendingBytes.addAndGet(-bytes);
                if (error == null) {
                  answered();
                } else {
                  breaker.onFailure();
                  failed(span, error);
                  storeLocally(key, answer);
                }
                span.end();
              });
    } catch (RuntimeException e) {
      pendingBytes.addAndGet(-bytes);
      failed(span, e);
      span.end();
      storeLocally(key, answer);
    }
  }

  /** The bytes charged to {@code SET}s Redis has not acknowledged yet. */
  long pendingBytes() {
    return pendingBytes.get();
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
    local.close();
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
