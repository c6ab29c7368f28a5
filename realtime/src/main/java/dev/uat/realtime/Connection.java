package dev.uat.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.Principal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

/**
 * One WebSocket connection and its bounded outbound queue.
 *
 * <p>Frames are encoded once per broadcast and shared: {@link #offer} hands Jetty a view of the
 * shared bytes (written at once when the socket takes them, else queued by Jetty in order) and
 * returns. The bytes handed over and not yet written are counted; when one more frame would pass
 * {@code maxQueueBytes}, the connection is a slow consumer: nothing more is queued and it is closed
 * with {@link #SLOW_CONSUMER} after what is queued. {@link #offer} is thread-safe and never blocks
 * on the network.
 */
final class Connection {
  /** Close codes (4000-4999 are the application's). */
  static final int UNAUTHENTICATED = 4001;

  static final int BAD_FRAME = 4002;

  /** The credential was revoked: its login session ended, or the API key was revoked. */
  static final int REVOKED = 4003;

  static final int SLOW_CONSUMER = 4008;
  static final int NO_PONG = 4009;
  static final int TOO_MANY_CONNECTIONS = 4029;

  /** Too many connections from this address have not authenticated yet. */
  static final int TOO_MANY_UNAUTHENTICATED = 4030;

  /** Try again later (1013): this instance is full. */
  static final int SERVER_FULL = 1013;

  /**
   * Try again later (1013) too: the credential was good, but the user's channel could not be joined
   * (its history, in Redis, could not be read); the client reconnects.
   */
  static final int UNAVAILABLE = 1013;

  static final int GOING_AWAY = 1001;

  /** What the connection tells the hub. */
  interface Listener {
    void sent(Connection c, int bytes);

    void overflowed(Connection c);
  }

  final String id;
  final Session session;

  /** The client's address (a trusted proxy's {@code X-Forwarded-For}, else the peer). */
  final String address;

  /** Whether this connection still counts against its address's unauthenticated cap. */
  final AtomicBoolean unauthenticated = new AtomicBoolean(true);

  private final CoreSession core; // null when Jetty's implementation is not the usual one
  private final long maxQueueBytes;
  private final Listener listener;
  final long openedNanos = System.nanoTime();

  volatile Principal principal;
  volatile String token;

  /** Whether the client acknowledges events ({@code "ack": true} on connect). */
  volatile boolean acks;

  /** Channel to subscription; the user's own channel included. */
  final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>(4);

  // liveness: written by the timer and the connection's thread
  volatile long lastPingNanos = openedNanos;
  volatile long pongDeadlineNanos;

  // frame-rate limit: touched by the connection's own thread only (Jetty delivers one at a time)
  private double tokens = -1;
  private long refilledNanos;

  // the close code this side chose, for the disconnect metric
  volatile int closeCode;

  // bytes handed to Jetty and not yet written; Jetty keeps the frames in order
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicBoolean closing = new AtomicBoolean();

  Connection(String id, Session session, String address, long maxQueueBytes, Listener listener) {
    this.id = id;
    this.session = session;
    this.address = address;
    this.core = session instanceof WebSocketSession w ? w.getCoreSession() : null;
    this.maxQueueBytes = maxQueueBytes;
    this.listener = listener;
  }

  String userId() {
    Principal p = principal;
    return p == null ? null : p.userId();
  }

  /**
   * Queues a text frame ({@code frame}'s remaining bytes, UTF-8 JSON; the buffer is not modified
   * and may be shared). Returns false when the connection is closing or has just overflowed.
   */
  boolean offer(ByteBuffer frame) {
    if (closing.get()) {
      return false;
    }
    int size = frame.remaining();
    if (outstanding.addAndGet(size) > maxQueueBytes) {
      outstanding.addAndGet(-size);
      overflow();
      return false;
    }
    Written written = new Written(size);
    if (core != null) {
      core.sendFrame(new Frame(OpCode.TEXT, frame.duplicate()), written, false);
    } else {
      ByteBuffer copy = frame.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      session.sendText(
          new String(bytes, StandardCharsets.UTF_8),
          Callback.from(written::succeeded, written::failed));
    }
    return true;
  }

  /** This connection cannot keep up: it is closed with {@link #SLOW_CONSUMER} (once). */
  void overflow() {
    if (closing.compareAndSet(false, true)) {
      listener.overflowed(this);
    }
  }

  /** Queues a reply to a client frame: {@code body} with the frame's {@code id}. */
  void reply(JsonNode id, Map<String, Object> body) {
    offer(Frames.reply(Frames.withId(new LinkedHashMap<>(body), id)));
  }

  /** Queues an error frame, in answer to the client frame {@code id} (null when none). */
  void error(JsonNode id, String code, String message) {
    offer(Frames.error(id, code, message));
  }

  /**
   * Whether one more client frame is allowed now: a token bucket of {@code perSecond} frames per
   * second holding at most twice that.
   */
  boolean allowFrame(long nowNanos, int perSecond) {
    double burst = 2.0 * perSecond;
    if (tokens < 0) {
      tokens = burst;
      refilledNanos = nowNanos;
    }
    tokens = Math.min(burst, tokens + (nowNanos - refilledNanos) * perSecond / 1e9);
    refilledNanos = nowNanos;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** Whether this side has chosen to close the connection already. */
  boolean closing() {
    return closeCode != 0 || closing.get();
  }

  /** Closes with {@code code} after what is already queued; idempotent. */
  void close(int code, String reason) {
    synchronized (this) {
      if (closeCode == 0) {
        closeCode = code;
      }
    }
    closing.set(true);
    if (session.isOpen()) {
      session.close(code, reason, Callback.NOOP);
    }
  }

  /** Drops the connection without a close handshake (a client that does not read). */
  void disconnect() {
    session.disconnect(); // harmless when it is gone already
  }

  boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public String toString() {
    return "Connection{" + id + ", user=" + userId() + "}";
  }

  /** Counts a frame out when Jetty has written it (or given up). */
  private final class Written implements org.eclipse.jetty.util.Callback {
    private final int size;

    Written(int size) {
      this.size = size;
    }

    @Override
    public void succeeded() {
      outstanding.addAndGet(-size);
      listener.sent(Connection.this, size);
    }

    @Override
    public void failed(Throwable cause) {
      outstanding.addAndGet(-size);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  }
}
