package dev.uat.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.events.Event;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Json;
import io.opentelemetry.api.common.AttributeKey;
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
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections, their channels, and delivery. One instance per realtime service.
 *
 * <p>Threads: client frames arrive on each connection's own thread (one at a time per connection);
 * events are delivered by ONE delivery thread, which alone assigns in-memory offsets, coalesces
 * deltas and walks the channel members, so that every channel's events go out in offset order.
 * Publishing only queues a task for it (bounded: when full, events are dropped and counted), and
 * sending only queues bytes on each connection: neither blocks the publisher. A timer thread sends
 * pings, closes silent connections and those whose credential expired; another thread checks every
 * credential again now and then ({@link #recheck}), and a revocation ({@link #revoked}) closes the
 * connections it concerns on the thread that announces it.
 */
final class Hub implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION_NAME =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> DESTINATION_TEMPLATE =
      AttributeKey.stringKey("messaging.destination.template");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<Long> BATCH_COUNT =
      AttributeKey.longKey("messaging.batch.message_count");
  static final AttributeKey<Long> RECIPIENTS = AttributeKey.longKey("uat.realtime.recipients");
  static final AttributeKey<Long> FRAMES = AttributeKey.longKey("uat.realtime.frames");
  static final AttributeKey<String> EVENT_NAME = AttributeKey.stringKey("uat.event.name");
  static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");
  static final AttributeKey<Boolean> RECOVERED = AttributeKey.booleanKey("uat.realtime.recovered");
  static final AttributeKey<Long> RECOVERED_COUNT =
      AttributeKey.longKey("uat.realtime.recovered.count");
  static final AttributeKey<String> REFUSED = AttributeKey.stringKey("uat.realtime.refused");

  /** Events waiting for the delivery thread at most; more are dropped and counted. */
  static final int MAX_PENDING = 100_000;

  /**
   * Bytes of events waiting for the delivery thread at most (each weighed as three times its JSON
   * plus 256: its tree and its bytes); more are dropped and counted.
   */
  static final long MAX_PENDING_BYTES = 32L * 1024 * 1024;

  private static final Pattern CONVERSATION_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final int MAX_CHANNEL_LENGTH = 128;

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
  private final Credentials credentials;
  private final HttpClient http;
  private final String apiUrl;
  private final History history;
  private final MemoryHistory memory; // null when the history is elsewhere (Redis)
  private final Presence presence;
  final HubMetrics metrics;
  private final Streams streams;

  private final ScheduledThreadPoolExecutor delivery;
  private final AtomicInteger pending = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong pendingBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final ScheduledExecutorService timers;

  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final Map<String, Set<Subscription>> channels = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();

  /** Unauthenticated connections per client address; an entry only while one is open. */
  private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

  Hub(
      RealtimeSettings settings,
      Telemetry telemetry,
      HubMetrics metrics,
      Credentials credentials,
      String messagingSystem,
      History history,
      Presence presence,
      ScheduledExecutorService timers) {
    this.settings = settings;
    this.system = messagingSystem;
    this.tracer = telemetry.tracer();
    this.propagator = telemetry.propagators().getTextMapPropagator();
    this.credentials = credentials;
    this.http = TracedHttpClient.create(telemetry);
    String api = settings.apiUrl();
    this.apiUrl = api.endsWith("/") ? api.substring(0, api.length() - 1) : api;
    this.history = history;
    this.memory = history instanceof MemoryHistory m ? m : null;
    this.presence = presence;
    this.metrics = metrics;
    this.timers = timers;
    this.delivery =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().daemon().name("realtime-delivery").factory());
    this.delivery.setRemoveOnCancelPolicy(true);
    this.delivery.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.streams = new Streams(this, settings.deltaInterval());
  }

  // ---------------------------------------------------------------- connections

  /**
   * Whether {@code address} may open one more connection before authenticating (checked before the
   * upgrade; {@link #opened} enforces it).
   */
  boolean admits(String address) {
    AtomicInteger n = perAddress.get(address);
    return n == null || n.get() < settings.maxUnauthenticatedPerAddress();
  }

  /**
   * A new WebSocket from {@code address}; null (and closed) when this instance is full (1013) or
   * the address holds too many unauthenticated connections already (4030).
   */
  Connection opened(String id, Session session, String address) {
    if (connections.size() >= settings.maxConnections()) {
      metrics.refused("connections");
      session.close(
          Connection.SERVER_FULL,
          "server full, try again later",
          org.eclipse.jetty.websocket.api.Callback.NOOP);
      return null;
    }
    AtomicInteger pending = perAddress.computeIfAbsent(address, k -> new AtomicInteger());
    if (pending.incrementAndGet() > settings.maxUnauthenticatedPerAddress()) {
      unauthenticatedGone(address);
      metrics.refused("unauthenticated_per_address");
      session.close(
          Connection.TOO_MANY_UNAUTHENTICATED,
          "too many unauthenticated connections from this address",
          org.eclipse.jetty.websocket.api.Callback.NOOP);
      return null;
    }
    Connection c = new Connection(id, session, address, settings.maxQueueBytes(), this);
    connections.put(id, c);
    metrics.active.add(1);
    return c;
  }

  /** {@code c} no longer counts against its address's cap (authenticated or gone); once. */
  private void authenticatedOrGone(Connection c) {
    if (c.unauthenticated.compareAndSet(true, false)) {
      unauthenticatedGone(c.address);
    }
  }

  private void unauthenticatedGone(String address) {
    perAddress.computeIfPresent(address, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  Connection connection(String id) {
    return connections.get(id);
  }

  void closed(String id, int status) {
    Connection c = connections.remove(id);
    if (c == null) {
      return;
    }
    metrics.active.add(-1);
    authenticatedOrGone(c);
    int code = c.closeCode != 0 ? c.closeCode : status;
    metrics.disconnects.add(1, Attributes.of(HubMetrics.CODE, (long) code));
    metrics.connectionDuration.record((System.nanoTime() - c.openedNanos) / 1e9);
    for (Subscription s : c.subscriptions.values()) {
      leave(s);
    }
    c.subscriptions.clear();
    String user = c.userId();
    if (user != null) {
      perUser.computeIfPresent(user, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
  }

  int connectionCount() {
    return connections.size();
  }

  @Override
  public void sent(Connection c, int bytes) {
    metrics.bytesSent.add(bytes);
  }

  @Override
  public void overflowed(Connection c) {
    log.info("closing slow consumer {} ({} bytes waiting)", c, settings.maxQueueBytes());
    metrics.slowConsumers.add(1);
    c.close(Connection.SLOW_CONSUMER, "slow consumer");
    // a client that does not read may never take the close frame either
    timers.schedule(c::disconnect, 5, TimeUnit.SECONDS);
  }

  /**
   * Pings quiet clients, closes those that did not answer, unauthenticated ones, and those whose
   * credential has expired (4001).
   */
  void tick() {
    Instant wallClock = Instant.now();
    long now = System.nanoTime();
    long pingEvery = settings.pingInterval().toNanos();
    long pongWithin = settings.pongTimeout().toNanos();
    long authWithin = settings.authTimeout().toNanos();
    for (Connection c : connections.values()) {
      if (c.principal == null) {
        if (now - c.openedNanos > authWithin && c.isOpen() && c.closeCode == 0) {
          error(c, null, "unauthenticated", "no connect frame within the time allowed");
          c.close(Connection.UNAUTHENTICATED, "unauthenticated");
        }
        continue;
      }
      if (!wallClock.isBefore(c.principal.expiresAt())) {
        endAccess(c, InvalidTokenException.Reason.EXPIRED);
        continue;
      }
      long deadline = c.pongDeadlineNanos;
      if (deadline != 0) {
        if (now - deadline > 0 && c.closeCode == 0) {
          c.close(Connection.NO_PONG, "no pong");
          timers.schedule(c::disconnect, 5, TimeUnit.SECONDS);
        }
      } else if (now - c.lastPingNanos >= pingEvery) {
        c.lastPingNanos = now;
        c.pongDeadlineNanos = now + pongWithin;
        c.offer(Frames.PING);
      }
    }
    if (memory != null) {
      execute(memory::sweep);
    }
    execute(streams::sweep);
  }

  // ---------------------------------------------------------------- revocation

  /**
   * Closes at once every connection {@code r} concerns (4003). Runs on the thread that learned of
   * the revocation (the bus's); only queues close frames.
   */
  void revoked(Revocation r) {
    for (Connection c : connections.values()) {
      Principal p = c.principal;
      if (p != null && r.concerns(p)) {
        endAccess(c, InvalidTokenException.Reason.REVOKED);
      }
    }
  }

  /**
   * Checks every authenticated connection's credential again through {@link Credentials} (cached
   * for {@link Credentials#RECHECK}, so mostly without asking the api): an expired one is closed
   * with 4001, an ended session or revoked key with 4003. When the api cannot answer, the
   * connection is kept and the check counted. Called by its own thread; may block on the api.
   */
  void recheck() {
    for (Connection c : connections.values()) {
      Principal p = c.principal;
      String credential = c.token;
      if (p == null || credential == null || c.closing()) {
        continue;
      }
      try {
        credentials.authenticateCredential(credential);
      } catch (InvalidTokenException e) {
        endAccess(c, e.reason());
      } catch (CredentialsUnavailableException e) {
        metrics.credentialsUnavailable.add(1);
      }
    }
  }

  /** Closes {@code c} because its credential stopped being valid (once). */
  private void endAccess(Connection c, InvalidTokenException.Reason reason) {
    if (c.closing()) {
      return;
    }
    boolean expired = reason == InvalidTokenException.Reason.EXPIRED;
    metrics.credentialsClosed(expired ? "expired" : "revoked");
    if (expired) {
      error(c, null, "unauthenticated", "the token expired; connect again with a fresh one");
      c.close(Connection.UNAUTHENTICATED, "token expired");
    } else {
      error(c, null, "revoked", "the session was ended or the API key revoked");
      c.close(Connection.REVOKED, "revoked");
    }
    // a client that does not read may never take the close frame either
    timers.schedule(c::disconnect, 5, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- client frames

  /** Handles one client frame (called on the connection's thread). */
  void onFrame(Connection c, String text) {
    c.pongDeadlineNanos = 0; // any frame shows the client is alive
    if (!c.allowFrame(System.nanoTime(), settings.maxFramesPerSecond())) {
      metrics.refused("frame_rate");
      error(c, null, "rate_limited", "too many frames; slow down");
      return;
    }
    JsonNode frame;
    try {
      frame = Json.MAPPER.readTree(text);
    } catch (IOException e) {
      error(c, null, "invalid_json", "frames are JSON objects");
      return;
    }
    if (frame == null || !frame.isObject()) {
      error(c, null, "invalid_json", "frames are JSON objects");
      return;
    }
    String type = frame.path("type").asText("");
    JsonNode id = frame.get("id");
    switch (type) {
      case "connect" -> {
        if (c.principal != null) {
          error(c, id, "already_connected", "this connection is authenticated already");
        } else {
          authenticate(c, frame.path("token").asText(null), frame.path("ack").asBoolean(false), id);
        }
      }
      case "ping" -> reply(c, id, Map.of("type", "pong"));
      case "pong" -> {}
      case "subscribe", "unsubscribe", "presence", "ack" -> {
        if (c.principal == null) {
          error(c, id, "unauthenticated", "send {\"type\":\"connect\",\"token\":…} first");
          return;
        }
        JsonNode channelNode = frame.get("channel");
        if (channelNode == null
            || !channelNode.isTextual()
            || channelNode.asText().isEmpty()
            || channelNode.asText().length() > MAX_CHANNEL_LENGTH) {
          error(c, id, "invalid_request", "'channel' must be a string of 1 to 128 characters");
          return;
        }
        String channel = channelNode.asText();
        switch (type) {
          case "subscribe" -> subscribe(c, channel, frame.get("since"), id);
          case "unsubscribe" -> {
            Subscription s = c.subscriptions.remove(channel);
            if (s != null) {
              leave(s);
            }
            reply(c, id, Map.of("type", "unsubscribed", "channel", channel));
          }
          case "presence" -> presence(c, channel, id);
          default -> ack(c, channel, frame.get("offset"), id);
        }
      }
      default -> error(c, id, "unknown_type", "unknown frame type '" + truncate(type) + "'");
    }
  }

  /**
   * Authenticates with an access token or an API key (through {@link Credentials}: a token of an
   * ended session or a revoked key is refused with 4003, an expired one with 4001); on success
   * joins the user's own channel. When the api cannot be asked, the client gets {@code unavailable}
   * and may send {@code connect} again.
   */
  boolean authenticate(Connection c, String token, boolean acks, JsonNode id) {
    Span span = tracer.spanBuilder("connect").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      Principal p = credentials.authenticateCredential(token);
      if (!Instant.now().isBefore(p.expiresAt())) {
        throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "the token expired");
      }
      span.setAttribute(USER_ID, p.userId());
      AtomicInteger count = perUser.computeIfAbsent(p.userId(), k -> new AtomicInteger());
      if (count.incrementAndGet() > settings.maxConnectionsPerUser()) {
        count.decrementAndGet();
        metrics.refused("connections_per_user");
        span.setAttribute(REFUSED, "too_many_connections");
        error(c, id, "too_many_connections", "this user has too many open connections");
        c.close(Connection.TOO_MANY_CONNECTIONS, "too many connections");
        return false;
      }
      c.token = token;
      c.acks = acks;
      c.principal = p;
      c.lastPingNanos = System.nanoTime(); // the ping interval counts from here
      authenticatedOrGone(c);
      String channel = "user:" + p.userId();
      attach(
          c,
          new Subscription(c, channel),
          null,
          position -> {
            Map<String, Object> ok = new LinkedHashMap<>();
            ok.put("type", "connected");
            ok.put("user_id", p.userId());
            ok.put("channel", channel);
            ok.put("offset", position.offset());
            ok.put("epoch", position.epoch());
            ok.put("ping_interval", settings.pingInterval().toSeconds());
            ok.put("pong_timeout", settings.pongTimeout().toSeconds());
            return withId(ok, id);
          });
      return true;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      boolean revoked = e.reason() == InvalidTokenException.Reason.REVOKED;
      error(c, id, revoked ? "revoked" : "unauthenticated", "invalid token: " + e.getMessage());
      c.close(
          revoked ? Connection.REVOKED : Connection.UNAUTHENTICATED,
          revoked ? "revoked" : "unauthenticated");
      return false;
    } catch (CredentialsUnavailableException e) {
      span.setStatus(StatusCode.ERROR, "credentials unavailable");
      metrics.credentialsUnavailable.add(1);
      error(c, id, "unavailable", "the credential cannot be checked now; send connect again");
      return false;
    } finally {
      span.end();
    }
  }

  private void subscribe(Connection c, String channel, JsonNode since, JsonNode id) {
    String template = Event.template(channel);
    Span span =
        tracer
            .spanBuilder("subscribe " + template)
            .setAttribute(DESTINATION_TEMPLATE, template)
            .setAttribute(USER_ID, c.principal.userId())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      History.Position from = null;
      if (since != null && !since.isNull()) {
        JsonNode offset = since.get("offset");
        JsonNode epoch = since.get("epoch");
        if (!since.isObject()
            || offset == null
            || !offset.canConvertToLong()
            || offset.asLong() < 0
            || epoch == null
            || !epoch.isTextual()
            || epoch.asText().length() > 64) {
          error(c, id, "invalid_request", "'since' must be {\"offset\": n >= 0, \"epoch\": \"…\"}");
          return;
        }
        from = new History.Position(offset.asLong(), epoch.asText());
      }
      if (!c.subscriptions.containsKey(channel)
          && c.subscriptions.size() >= settings.maxSubscriptions()) {
        metrics.refused("subscriptions");
        error(c, id, "too_many_subscriptions", "at most " + settings.maxSubscriptions());
        return;
      }
      String refusal = authorize(c, channel);
      if (refusal != null) {
        span.setAttribute(REFUSED, refusal);
        error(c, id, refusal, "you may not subscribe to '" + truncate(channel) + "'");
        return;
      }
      History.Position requested = from;
      History.Recovery r =
          attach(
              c,
              new Subscription(c, channel),
              from,
              position -> {
                Map<String, Object> ok = new LinkedHashMap<>();
                ok.put("type", "subscribed");
                ok.put("channel", channel);
                ok.put("offset", position.offset());
                ok.put("epoch", position.epoch());
                return withId(ok, id);
              });
      if (r == null) {
        span.setStatus(StatusCode.ERROR, "history unavailable");
        return;
      }
      if (requested != null) {
        span.setAttribute(RECOVERED, r.recovered());
        span.setAttribute(RECOVERED_COUNT, (long) r.events().size());
        metrics.recoveries.add(1, Attributes.of(HubMetrics.RECOVERED, r.recovered()));
      }
    } finally {
      span.end();
    }
  }

  /** Builds a reply from the channel's position; gets the recovery outcome when one was asked. */
  private interface ReplyBuilder {
    Map<String, Object> reply(History.Position position);
  }

  /**
   * Joins a channel without losing or repeating an event: (1) on the delivery thread the
   * subscription joins the channel, holding live events back; (2) here, the channel's position is
   * read, or what the client missed since {@code from}; (3) on the delivery thread the reply, the
   * recovered events and the held-back ones newer than them go out, in that order. Returns the
   * recovery (null when the history could not be read: the client gets an error).
   */
  private History.Recovery attach(
      Connection c, Subscription s, History.Position from, ReplyBuilder reply) {
    Subscription old = c.subscriptions.put(s.channel, s);
    if (old != null) {
      leave(old);
    }
    try {
      onDeliveryThread(() -> channels.computeIfAbsent(s.channel, k -> newMembers()).add(s));
      presence.joined(s.channel, c.userId());
    } catch (RuntimeException e) {
      c.subscriptions.remove(s.channel, s);
      error(c, null, "unavailable", "the hub is shutting down");
      return null;
    }
    History.Recovery r;
    try {
      if (from == null) {
        r = new History.Recovery(false, history.position(s.channel), List.of());
      } else {
        r = history.recover(s.channel, from.offset(), from.epoch(), settings.historySize());
      }
    } catch (Exception e) {
      log.warn("cannot read the history of {}: {}", s.channel, e.toString());
      Span.current().recordException(e);
      c.subscriptions.remove(s.channel, s);
      leave(s);
      error(c, null, "unavailable", "the channel's history cannot be read now; try again");
      return null;
    }
    History.Recovery recovery = r;
    execute(
        () -> {
          Map<String, Object> body = reply.reply(recovery.position());
          if (from != null) {
            body.put("recovered", recovery.recovered());
          }
          c.offer(Frames.reply(body));
          if (recovery.recovered()) {
            for (ByteBuffer frame : Streams.merge(recovery.events())) {
              c.offer(frame);
            }
          }
          s.go(recovery.position().offset(), recovery.position().epoch());
        });
    return recovery;
  }

  private static Set<Subscription> newMembers() {
    return ConcurrentHashMap.newKeySet();
  }

  private void leave(Subscription s) {
    channels.computeIfPresent(
        s.channel,
        (k, members) -> {
          members.remove(s);
          return members.isEmpty() ? null : members;
        });
    s.forget();
    String user = s.connection.userId();
    if (user != null) {
      presence.left(s.channel, user);
    }
  }

  /** Null when allowed, else an error code. */
  private String authorize(Connection c, String channel) {
    if (channel.equals("user:" + c.principal.userId())) {
      return null;
    }
    if (channel.startsWith("conversation:")
        && CONVERSATION_ID.matcher(channel.substring(13)).matches()) {
      String conversation = channel.substring(13);
      try {
        HttpRequest request =
            HttpRequest.newBuilder(
                    URI.create(
                        apiUrl
                            + "/api/conversations/"
                            + URLEncoder.encode(conversation, StandardCharsets.UTF_8)))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + c.token)
                .timeout(Duration.ofSeconds(5))
                .build();
        int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        return switch (status) {
          case 204, 200 -> null;
          case 401 -> "unauthenticated";
          default -> status >= 500 ? "unavailable" : "forbidden";
        };
      } catch (IOException e) {
        log.warn("cannot ask the api about {}: {}", channel, e.toString());
        return "unavailable";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "unavailable";
      }
    }
    return "forbidden";
  }

  private void presence(Connection c, String channel, JsonNode id) {
    if (!c.subscriptions.containsKey(channel)) {
      error(c, id, "not_subscribed", "subscribe to '" + truncate(channel) + "' first");
      return;
    }
    Map<String, Integer> users = new TreeMap<>();
    Set<Subscription> members = channels.get(channel);
    if (members != null) {
      for (Subscription s : members) {
        String user = s.connection.userId();
        if (user != null) {
          users.merge(user, 1, Integer::sum);
        }
      }
    }
    Map<String, Integer> everywhere;
    try {
      everywhere = presence.users(channel, users);
    } catch (Exception e) {
      log.warn("cannot read the presence of {}: {}", channel, e.toString());
      everywhere = users;
    }
    List<Map<String, Object>> list = new ArrayList<>();
    int total = 0;
    for (Map.Entry<String, Integer> u : everywhere.entrySet()) {
      Map<String, Object> user = new LinkedHashMap<>();
      user.put("user_id", u.getKey());
      user.put("connections", u.getValue());
      list.add(user);
      total += u.getValue();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "presence");
    body.put("channel", channel);
    body.put("connections", total);
    body.put("users", list);
    reply(c, id, body);
  }

  private void ack(Connection c, String channel, JsonNode offset, JsonNode id) {
    if (offset == null || !offset.canConvertToLong() || offset.asLong() < 0) {
      error(c, id, "invalid_request", "'offset' must be a whole number");
      return;
    }
    Subscription s = c.subscriptions.get(channel);
    if (s != null) {
      s.acked(offset.asLong(), System.nanoTime());
    }
  }

  // ---------------------------------------------------------------- delivery

  /** An event from a bus that does not number events (in-process, HTTP): numbered here. */
  void publish(Event event) {
    if (memory == null) {
      throw new IllegalStateException("this hub's history is not in memory");
    }
    if (event.channel().startsWith(INTERNAL)) {
      return; // the platform's own signals: neither kept nor delivered
    }
    long received = System.currentTimeMillis();
    // converted here, on the publisher's thread, so that what waits is weighed
    MemoryHistory.Prepared prepared = MemoryHistory.prepare(event);
    submit(() -> dispatch(memory.append(prepared), received), prepared.weight());
  }

  /** A numbered event (from Redis) whose message was {@code bytes} long. */
  void deliver(Publication p, int bytes) {
    if (p.channel().startsWith(INTERNAL)) {
      return;
    }
    long received = System.currentTimeMillis();
    submit(() -> dispatch(p, received), 256 + 3L * bytes);
  }

  private void submit(Runnable task, long weight) {
    long bytes = pendingBytes.addAndGet(weight);
    if (pending.incrementAndGet() > MAX_PENDING || bytes > MAX_PENDING_BYTES) {
      pending.decrementAndGet();
      pendingBytes.addAndGet(-weight);
      metrics.dropped.add(1);
      return;
    }
    try {
      delivery.execute(
          () -> {
            pending.decrementAndGet();
            pendingBytes.addAndGet(-weight);
            task.run();
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet(); // shutting down
      pendingBytes.addAndGet(-weight);
    }
  }

  /** Runs {@code task} on the delivery thread (after what is queued). */
  void execute(Runnable task) {
    try {
      delivery.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.warn("delivery task failed", e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // shutting down
    }
  }

  void schedule(Runnable task, long nanos) {
    try {
      delivery.schedule(task, nanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // shutting down
    }
  }

  private void onDeliveryThread(Runnable task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      delivery.execute(
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
            .setAttribute(RECIPIENTS, (long) recipients)
            .setAttribute(MESSAGE_ID, Long.toString(p.offset()))
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

  /** Queues one encoded frame for every member; returns how many took it. */
  int send(
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
    return sent;
  }

  Set<Subscription> members(String channel) {
    return channels.get(channel);
  }

  private void delivered(double seconds, Broadcast b) {
    metrics.delivery.record(seconds, Attributes.of(HubMetrics.TEMPLATE, b.template));
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
        .setAttribute(SYSTEM, system)
        .setAttribute(OPERATION_TYPE, "process")
        .setAttribute(OPERATION_NAME, "process")
        .setAttribute(DESTINATION_NAME, channel)
        .setAttribute(DESTINATION_TEMPLATE, template)
        .setAttribute(EVENT_NAME, eventName);
  }

  Context parent(String traceparent) {
    return traceparent == null
        ? Context.root()
        : propagator.extract(Context.root(), traceparent, TRACEPARENT);
  }

  // ---------------------------------------------------------------- replies

  private static Map<String, Object> withId(Map<String, Object> body, JsonNode id) {
    if (id != null && !id.isNull()) {
      body.put("id", id);
    }
    return body;
  }

  private static void reply(Connection c, JsonNode id, Map<String, Object> body) {
    c.offer(Frames.reply(withId(new LinkedHashMap<>(body), id)));
  }

  static void error(Connection c, JsonNode id, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "error");
    body.put("code", code);
    body.put("message", message);
    reply(c, id, body);
  }

  private static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }

  /** Closes every connection (1001) and stops the delivery thread. */
  void shutdown() {
    for (Connection c : connections.values()) {
      c.close(Connection.GOING_AWAY, "server shutting down");
    }
    execute(streams::endAll);
    delivery.shutdown();
    try {
      delivery.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    delivery.shutdownNow();
  }
}
