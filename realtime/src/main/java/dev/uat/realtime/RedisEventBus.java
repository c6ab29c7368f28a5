package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.EventBus;
import dev.uat.settings.Check;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import dev.uat.web.LogThrottle;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.opentelemetry.api.metrics.LongCounter;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event bus of several realtime instances (and the api instances that publish to them): one
 * Redis for all of them.
 *
 * <p>{@link #publish} runs one Lua script that numbers the event in its channel (a counter and an
 * epoch in a hash), appends it to the channel's Redis stream (bounded: {@code historySize} entries
 * and {@code channelBytes} bytes of payload, oldest first; the deltas of a message leave when its
 * {@code message.created} arrives; expiring {@code historyAge} after the last one) and PUBLISHes
 * it, numbered, on one pub/sub channel that every realtime instance subscribes to. So every
 * instance delivers every event with the same offset, and a client can recover on any instance what
 * it missed on another: {@link #history()} reads those streams ({@link RedisHistory}), and {@link
 * #presence()} counts subscribers across instances ({@link RedisPresence}) on the same connection.
 * Publishing is asynchronous and never throws; failures are counted in {@code
 * uat.events.publish.failed} and logged, one line every 10 s at most. While the connection to Redis
 * is down, a publication fails at once (it is not queued for Redis's return: live delivery here
 * matters more than a late number; other commands wait for Redis at most 5 s, as below); while
 * Redis hangs (connected, answering nothing), commands wait for it at most 5 s each and at most
 * 10,000 at a time (past it a publication fails at once). A failed publication is in no stream and
 * reaches no other instance; it is handed, <em>unnumbered</em> (offset 0, epoch ""), to this
 * process's own subscribers: the connections of the realtime instance it was published on, and the
 * revocation listeners of this process; and to {@link #failOverTo}'s bus when one is set (an api's
 * way to a realtime instance). Lettuce reconnects by itself (backoff up to 30 s) and the pub/sub
 * connection subscribes again. A Redis that hangs runs the commands it was sent when it answers
 * again, the ones that timed out too: so the script carries a deadline, {@link #PUBLISH_DEADLINE}
 * after {@link #publish} in Redis's clock ({@link RedisClock}: measured at connect, every minute
 * and after a refusal, carried forward by our monotonic clock), and past it Redis drops the event:
 * a publication counted failed is never delivered through Redis (so never twice), whether Redis
 * stopped or hung. Events of {@code internal:} channels (revocations) are only PUBLISHed (offset
 * 0), never kept, and have no deadline: a revocation delivered late (or twice) still ends what it
 * revokes.
 *
 * <p>Keys: {@code uat:rt:{<channel>}:meta} (hash: epoch, offset, bytes, trimmed), {@code
 * uat:rt:{<channel>}:stream} (entries {@code 0-<offset>} with fields {@code t} and {@code p}),
 * {@code uat:rt:{<channel>}:deltas:<message id>} (list: offsets of a message's deltas), {@code
 * uat:rt:{<channel>}:presence} (hash: {@code <instance>|<user>} → connections), {@code
 * uat:rt:instance:<id>} (a heartbeat); pub/sub channel {@code uat:rt:events}. The braces keep a
 * channel's keys in one Redis Cluster slot.
 */
public final class RedisEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(RedisEventBus.class);

  /** The pub/sub channel every instance listens on. */
  static final String PUBSUB = "uat:rt:events";

  /** Largest event (serialized) that is published; bigger ones are refused and counted. */
  static final int MAX_EVENT_BYTES = 1024 * 1024;

  /**
   * Bytes of publications waiting for Redis, at most, each charged three bytes per character (its
   * UTF-8 encoding at most): past it a publication fails at once (counted, like any other). Lettuce
   * bounds its queue by commands, not bytes, and a hanging Redis leaves every written command
   * waiting for its timeout: without this, chats during a 5-s hang could hold 10,000 events of up
   * to a MiB each.
   */
  static final long MAX_PENDING_BYTES = 32L * 1024 * 1024;

  private final AtomicLong pendingBytes = new AtomicLong();

  /**
   * Bytes of payload one channel's stream keeps by default (its oldest entries go first): a Redis
   * stream holds what it is given, so without it a channel could hold 1,000 events of 1 MiB.
   */
  public static final long DEFAULT_CHANNEL_BYTES = 1024 * 1024;

  /** Longest message id whose deltas are tracked (to drop them once the message is stored). */
  static final int MAX_MESSAGE_ID = 64;

  /** How long a command waits for Redis before it fails (Lettuce's command timeout). */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  /**
   * How long after {@link #publish} Redis still runs the publication: half a second less than
   * {@link #COMMAND_TIMEOUT}, so that an answer reaches the publisher before its timeout, and a
   * publication counted failed is never delivered (the margin covers the clock offset's error too).
   */
  static final Duration PUBLISH_DEADLINE = COMMAND_TIMEOUT.minusMillis(500);

  private static final long PUBLISH_DEADLINE_MILLIS = PUBLISH_DEADLINE.toMillis();

  /** How often the offset of Redis's clock to this process's is measured again. */
  static final Duration CLOCK_CHECK_INTERVAL = Duration.ofSeconds(60);

  // KEYS: meta, stream, deltas (the offsets of one message's deltas, when ARGV[8] is 'd' or 'c').
  // ARGV: epoch candidate, max length, payload, ttl seconds, pub/sub channel, time (ms), max
  // payload bytes of the stream, kind ('d' a delta, 'c' a stored message, '-' anything else),
  // deadline (ms, Redis's clock). The meta hash counts the payload bytes kept ('bytes') and the
  // newest offset trimmed by a limit ('trimmed': recovery from before it fails; dropped deltas are
  // not trimmed). Returns the offset, or -1 (and does nothing) past the deadline: a Redis that hung
  // runs, when it answers again, the commands it was sent meanwhile, whose publishers have counted
  // them failed (RedisHangTest). TIME before the writes needs effects replication (Redis 5+).
  private static final String PUBLISH_SCRIPT =
      """
      local now = redis.call('TIME')
      if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[9]) then
        return -1
      end
      local epoch = redis.call('HGET', KEYS[1], 'epoch')
      if not epoch then
        epoch = ARGV[1]
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[1], 'epoch', epoch, 'bytes', 0, 'trimmed', 0)
      end
      local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
      redis.call('XADD', KEYS[2], '0-' .. offset, 't', ARGV[6], 'p', ARGV[3])
      local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', string.len(ARGV[3]))
      if ARGV[8] == 'd' then
        redis.call('RPUSH', KEYS[3], offset)
        redis.call('EXPIRE', KEYS[3], ARGV[4])
      elseif ARGV[8] == 'c' then
        for _, o in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
          local e = redis.call('XRANGE', KEYS[2], '0-' .. o, '0-' .. o)
          if #e > 0 then
            bytes = redis.call('HINCRBY', KEYS[1], 'bytes', -string.len(e[1][2][4]))
            redis.call('XDEL', KEYS[2], '0-' .. o)
          end
        end
        redis.call('DEL', KEYS[3])
      end
      local n = redis.call('XLEN', KEYS[2])
      while n > tonumber(ARGV[2]) or bytes > tonumber(ARGV[7]) do
        local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
        if #first == 0 then break end
        bytes = redis.call('HINCRBY', KEYS[1], 'bytes', -string.len(first[1][2][4]))
        redis.call('XDEL', KEYS[2], first[1][1])
        redis.call('HSET', KEYS[1], 'trimmed', string.sub(first[1][1], 3))
        n = n - 1
      end
      redis.call('EXPIRE', KEYS[1], ARGV[4])
      redis.call('EXPIRE', KEYS[2], ARGV[4])
      redis.call('PUBLISH', ARGV[5],
        '{"offset":' .. offset .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[3], 2))
      return offset
      """;

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> async;
  private final RedisCommands<String, String> sync;
  private final String scriptSha;
  private final int historySize;
  private final Duration historyAge;
  private final long channelBytes;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  private final LongCounter failures;

  private final LogThrottle failureLog = new LogThrottle();

  /** Redis's clock, carried forward by this process's monotonic clock. */
  private final RedisClock redisClock = new RedisClock();

  private volatile long clockCheckedNanos;
  private final AtomicBoolean checkingClock = new AtomicBoolean();
  private final RedisHistory history;
  private final RedisPresence presence;
  private final List<PublicationSubscriber> subscribers = new CopyOnWriteArrayList<>();

  /** Receives a numbered event and the length of the message it came in. */
  interface PublicationSubscriber {
    void accept(Publication p, int bytes);
  }

  private volatile StatefulRedisPubSubConnection<String, String> pubsub;
  private volatile EventBus failover;

  private RedisEventBus(
      RedisClient client,
      Telemetry telemetry,
      int historySize,
      Duration historyAge,
      long channelBytes) {
    this.client = client;
    this.connection = client.connect();
    this.async = connection.async();
    this.sync = connection.sync();
    this.scriptSha = sync.scriptLoad(PUBLISH_SCRIPT);
    for (int i = 0; i < 3; i++) { // the first is believed whatever it took; a quick one replaces it
      long sent = System.nanoTime();
      List<String> time = sync.time();
      redisClock.measured(sent, System.nanoTime(), time);
    }
    clockCheckedNanos = System.nanoTime();
    this.historySize = historySize;
    this.historyAge = historyAge;
    this.channelBytes = channelBytes;
    this.failures = EventBus.publishFailures(telemetry);
    this.history = new RedisHistory(sync, historyAge);
    this.presence = new RedisPresence(async, sync, instance);
  }

  /**
   * Hands every publication Redis did not take to {@code other} as well (before this process's own
   * subscribers): the api's way to a realtime instance while Redis is away ({@code HttpEventBus} to
   * its {@code realtime-url}). Set once, before publishing; {@code other} is not closed here.
   */
  public void failOverTo(EventBus other) {
    failover = requireNonNull(other, "other");
  }

  /** The channels' history: the streams {@link #publish} appends to. */
  History history() {
    return history;
  }

  /** This instance's presence in the channels, counted with the other instances'. */
  Presence presence() {
    return presence;
  }

  /**
   * Connects to {@code redisUrl} ({@code redis://host:port/db}, {@code rediss://…} for TLS) with
   * the default history: {@value RealtimeSettings#DEFAULT_HISTORY_SIZE} events, 5 minutes.
   */
  public static RedisEventBus connect(String redisUrl, Telemetry telemetry) {
    return connect(
        redisUrl,
        telemetry,
        RealtimeSettings.DEFAULT_HISTORY_SIZE,
        RealtimeSettings.DEFAULT_HISTORY_AGE);
  }

  /** Connects with {@link #DEFAULT_CHANNEL_BYTES} per channel; fails when Redis is unreachable. */
  public static RedisEventBus connect(
      String redisUrl, Telemetry telemetry, int historySize, Duration historyAge) {
    return connect(redisUrl, telemetry, historySize, historyAge, DEFAULT_CHANNEL_BYTES);
  }

  /**
   * Connects; each channel's stream keeps at most {@code historySize} events and {@code
   * channelBytes} bytes of payload. Fails at once when Redis cannot be reached.
   */
  public static RedisEventBus connect(
      String redisUrl,
      Telemetry telemetry,
      int historySize,
      Duration historyAge,
      long channelBytes) {
    requireNonNull(redisUrl, "redisUrl");
    requireNonNull(telemetry, "telemetry");
    Check.atLeast(historySize, 1, "historySize");
    Check.positive(historyAge, "historyAge");
    Check.atLeast(channelBytes, 1024, "channelBytes");
    RedisURI uri = RedisURI.create(redisUrl);
    uri.setTimeout(COMMAND_TIMEOUT);
    RedisClient client = RedisClient.create(uri);
    // while Redis is unreachable, commands wait for it at most 10,000 at a time and at most the
    // URI's timeout each (Lettuce's default, spelled out: RedisOutageTest relies on it); then
    // they fail. Publications do not wait while the connection is down (see publish)
    client.setOptions(
        ClientOptions.builder()
            .requestQueueSize(10_000)
            .timeoutOptions(TimeoutOptions.enabled())
            .build());
    try {
      return new RedisEventBus(client, telemetry, historySize, historyAge, channelBytes);
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      throw e;
    }
  }

  static String metaKey(String channel) {
    return "uat:rt:{" + channel + "}:meta";
  }

  static String streamKey(String channel) {
    return "uat:rt:{" + channel + "}:stream";
  }

  static String deltasKey(String channel, String messageId) {
    return "uat:rt:{" + channel + "}:deltas:" + messageId;
  }

  static String presenceKey(String channel) {
    return "uat:rt:{" + channel + "}:presence";
  }

  static String instanceKey(String instance) {
    return "uat:rt:instance:" + instance;
  }

  @Override
  public void publish(Event event) {
    try {
      Map<String, Object> envelope = new LinkedHashMap<>();
      envelope.put("channel", event.channel());
      envelope.put("event", event.event());
      envelope.put("data", event.data());
      envelope.put("traceparent", event.traceparent());
      envelope.put("ts", event.timestampMillis());
      String payload = Json.writeString(envelope);
      if (payload.length() > MAX_EVENT_BYTES) {
        refused(event, "larger than " + MAX_EVENT_BYTES + " bytes");
        return;
      }
      if (!connected()) {
        failed(event, payload.length(), "not connected to Redis");
        return;
      }
      long cost = 3L * payload.length();
      if (pendingBytes.addAndGet(cost) > MAX_PENDING_BYTES) {
        pendingBytes.addAndGet(-cost);
        failed(
            event,
            payload.length(),
            "more than " + MAX_PENDING_BYTES / (1024 * 1024) + " MiB of events wait for Redis");
        return;
      }
      try {
        send(event, payload, cost);
      } catch (RuntimeException e) {
        pendingBytes.addAndGet(-cost);
        failed(event, payload.length(), e.toString());
      }
    } catch (RuntimeException e) {
      refused(event, e.toString()); // could not be serialized
    }
  }

  /** Sends a publication within the pending budget; gives {@code cost} back when it settles. */
  private void send(Event event, String payload, long cost) {
    if (event.channel().startsWith(Delivery.INTERNAL)) {
      // the platform's own signals (revocations): to every instance, never into a stream
      async
          .publish(PUBSUB, "{\"offset\":0,\"epoch\":\"\"," + payload.substring(1))
          .whenComplete(
              (n, error) -> {
                pendingBytes.addAndGet(-cost);
                if (error != null) {
                  failed(event, payload.length(), error.toString());
                }
              });
      return;
    }
    String kind = "-";
    String message = null;
    if (Streams.DELTA.equals(event.event()) || Streams.CREATED.equals(event.event())) {
      JsonNode data = Streams.tree(event.data());
      JsonNode id =
          Streams.DELTA.equals(event.event())
              ? data.get("message_id")
              : data.path("message").get("id");
      if (id != null && id.isValueNode() && id.asText().length() <= MAX_MESSAGE_ID) {
        message = id.asText();
        kind = Streams.DELTA.equals(event.event()) ? "d" : "c";
      }
    }
    String[] keys = {
      metaKey(event.channel()),
      streamKey(event.channel()),
      deltasKey(event.channel(), message == null ? "" : message)
    };
    String[] args = {
      MemoryHistory.newEpoch(),
      Integer.toString(historySize),
      payload,
      Long.toString(Math.max(1, historyAge.toSeconds())),
      PUBSUB,
      Long.toString(event.timestampMillis()),
      Long.toString(channelBytes),
      kind,
      Long.toString(redisClock.millisAt(System.nanoTime()) + PUBLISH_DEADLINE_MILLIS)
    };
    if (System.nanoTime() - clockCheckedNanos > CLOCK_CHECK_INTERVAL.toNanos()) {
      checkClock();
    }
    CompletionStage<Long> sent =
        async.<Long>evalsha(scriptSha, ScriptOutputType.INTEGER, keys, args);
    sent.whenComplete(
        (offset, error) -> {
          if (error instanceof RedisNoScriptException) {
            // Redis restarted and forgot the script: send it whole
            try {
              async
                  .<Long>eval(PUBLISH_SCRIPT, ScriptOutputType.INTEGER, keys, args)
                  .whenComplete(
                      (o, e) -> {
                        pendingBytes.addAndGet(-cost);
                        if (e != null) {
                          failed(event, payload.length(), e.toString());
                        } else {
                          checkDeadline(event, payload.length(), o);
                        }
                      });
            } catch (RuntimeException e) {
              pendingBytes.addAndGet(-cost);
              failed(event, payload.length(), e.toString());
            }
          } else {
            pendingBytes.addAndGet(-cost);
            if (error != null) {
              failed(event, payload.length(), error.toString());
            } else {
              checkDeadline(event, payload.length(), offset);
            }
          }
        });
  }

  /** A publication Redis refused as too late ({@code -1}) failed; the clocks are compared again. */
  private void checkDeadline(Event event, int bytes, Long offset) {
    if (offset != null && offset < 0) {
      failed(
          event,
          bytes,
          "it reached Redis more than "
              + PUBLISH_DEADLINE.toMillis()
              + " ms after it was published (Redis did not answer meanwhile), so it was dropped");
      checkClock();
    }
  }

  /** Measures the clocks' offset again, in the background; one measurement at a time. */
  private void checkClock() {
    if (!checkingClock.compareAndSet(false, true)) {
      return;
    }
    clockCheckedNanos = System.nanoTime();
    try {
      long sent = System.nanoTime();
      async
          .time()
          .whenComplete(
              (time, error) -> {
                if (error == null) {
                  redisClock.measured(sent, System.nanoTime(), time);
                }
                checkingClock.set(false);
              });
    } catch (RuntimeException e) {
      checkingClock.set(false);
    }
  }

  /**
   * A publication that did not reach Redis (and never will: see {@link #PUBLISH_DEADLINE}):
   * counted, and handed unnumbered to this process's own subscribers. {@code bytes} is its
   * serialized length.
   */
  private void failed(Event event, int bytes, String why) {
    refused(event, why);
    EventBus other = failover;
    if (other != null) {
      other.publish(event);
    }
    deliverHere(event, bytes);
  }

  /**
   * Hands {@code event} unnumbered (offset 0, epoch "") to this process's own subscribers only: a
   * failed publication, or one that realtime's {@code POST /internal/events} was asked to deliver
   * here (an api's fallback while its Redis is away: publishing it through Redis now could number
   * it late, after events published later).
   */
  void deliverHere(Event event, int bytes) {
    handOut(new Publication(event, 0, ""), bytes);
  }

  /** To every subscriber of this process; one that throws does not stop the others. */
  private void handOut(Publication p, int bytes) {
    for (PublicationSubscriber s : subscribers) {
      try {
        s.accept(p, bytes);
      } catch (RuntimeException e) {
        log.warn("event subscriber failed on {} {}", p.event().event(), p.channel(), e);
      }
    }
  }

  /**
   * Counts a publication that was not published; logs one line at most every {@link
   * LogThrottle#DEFAULT_INTERVAL} (while Redis is away every event fails, a streamed answer's
   * deltas too).
   */
  private void refused(Event event, String why) {
    failures.add(1);
    long failed = failureLog.occurred();
    if (failed > 0) {
      log.warn(
          "event {} for {} not published to Redis: {} ({} since the last such line; the next in"
              + " 10 s at the earliest)",
          event.event(),
          event.channel(),
          why,
          failed);
    }
  }

  @Override
  public AutoCloseable subscribe(Consumer<Event> subscriber) {
    requireNonNull(subscriber, "subscriber");
    return subscribePublications((p, bytes) -> subscriber.accept(p.event()));
  }

  /**
   * Receives every event published by any instance, numbered, and those of this process that Redis
   * did not take, unnumbered.
   */
  AutoCloseable subscribePublications(PublicationSubscriber subscriber) {
    subscribers.add(subscriber);
    listen();
    return () -> subscribers.remove(subscriber);
  }

  /** Whether the connection to Redis is up now (Lettuce reconnects by itself). */
  boolean connected() {
    return connection.isOpen();
  }

  private synchronized void listen() {
    if (pubsub != null) {
      return;
    }
    StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub();
    ps.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String message) {
            received(message);
          }
        });
    ps.sync().subscribe(PUBSUB);
    pubsub = ps;
  }

  private void received(String message) {
    Publication p;
    try {
      JsonNode n = Json.MAPPER.readTree(message);
      p = new Publication(event(n), n.path("offset").asLong(), n.path("epoch").asText());
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring a malformed event from Redis: {}", e.toString());
      return;
    }
    handOut(p, message.length());
  }

  /** The event of a published or stored envelope. */
  static Event event(JsonNode n) {
    JsonNode tp = n.get("traceparent");
    String channel = n.get("channel").asText();
    JsonNode data = n.has("data") ? n.get("data") : Json.MAPPER.nullNode();
    return new Event(
        channel,
        n.get("event").asText(),
        // internal signals are read as maps (dev.uat.auth.Revocation#fromEvent expects one)
        channel.startsWith(Delivery.INTERNAL) && data.isObject()
            ? Json.MAPPER.convertValue(data, Map.class)
            : data,
        tp == null || tp.isNull() ? null : tp.asText(),
        n.path("ts").asLong());
  }

  /** Throws when Redis does not answer; for readiness checks. */
  void ping() {
    sync.ping();
  }

  @Override
  public String system() {
    return "redis";
  }

  /**
   * Always true: which channels the instances' connections are subscribed to lives in each instance
   * (presence in Redis counts users with a heartbeat's delay), and a client that recovers from the
   * channel's stream on any instance reads the deltas kept there; answering honestly would cost a
   * Redis round trip per chat and still race. So the api streams every answer here.
   */
  @Override
  public boolean listened(String channel) {
    return true;
  }

  @Override
  public void close() {
    StatefulRedisPubSubConnection<String, String> ps = pubsub;
    if (ps != null) {
      ps.close();
    }
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Override
  public String toString() {
    return "RedisEventBus{instance=" + instance + "}";
  }
}
