package dev.uat.realtime;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.CredentialBackend;
import dev.uat.auth.Credentials;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.telemetry.Fuzzer;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the client side of the WebSocket protocol in process ({@link Fuzzer}): {@link
 * FrameProtocol#onFrame} of a real {@link Hub} (in-process history and presence, credentials
 * checked by signature, conversations owned when their id starts with {@code mine}, asked of a fake
 * api over loopback HTTP as the hub does), on a connection whose Jetty session is a stand-in that
 * records what the hub sends. One input is a sequence of client frames, one per line, on one fresh
 * connection, authenticated beforehand (as by the {@code Authorization} header) for every other
 * input; a frame larger than {@link RealtimeSettings#maxFrameBytes()} ends the input, as Jetty
 * closes such a connection with 1009 before the hub sees the frame.
 *
 * <p>Invariants, besides the fuzzer's (at most 64 bytes allocated per input byte plus 8 MiB, 2 s
 * per input): nothing escapes {@code onFrame}; everything the hub sends is a JSON object of a
 * documented {@code type}, every error has a documented {@code code} and every close a documented
 * close code (docs/realtime.md); after the connection closed, nothing of it is left (no connection,
 * no member of any channel, the user's connection count released). An input answered with an error
 * or a close is counted as rejected. A short run in the suite; {@code -Dfuzz.inputs=N} for N
 * inputs.
 */
class FrameProtocolFuzzTest {
  private static final String USER = "fuzz";

  /** The frame types the hub sends (docs/realtime.md). */
  private static final Set<String> TYPES =
      Set.of("connected", "subscribed", "unsubscribed", "presence", "pong", "error", "event");

  /** The error codes of docs/realtime.md. */
  private static final Set<String> CODES =
      Set.of(
          "invalid_json",
          "invalid_request",
          "unknown_type",
          "unauthenticated",
          "revoked",
          "forbidden",
          "unavailable",
          "not_subscribed",
          "already_connected",
          "rate_limited",
          "too_many_subscriptions",
          "too_many_connections");

  /** The close codes a client frame can lead to (docs/realtime.md). */
  private static final Set<Integer> CLOSE_CODES =
      Set.of(
          Connection.UNAUTHENTICATED,
          Connection.REVOKED,
          Connection.TOO_MANY_CONNECTIONS,
          Connection.UNAVAILABLE);

  /** The most frames one input is split into. */
  private static final int MAX_FRAMES = 160;

  private static final String TOKEN = Rig.ISSUER.access(USER, Set.of("chat")).value();

  private static final String[] CHANNELS = {
    "user:" + USER,
    "user:other",
    "conversation:mine-1",
    "conversation:mine-2",
    "conversation:other",
    "conversation:",
    "conversation:mine/../x",
    "internal:auth",
    "",
    "x".repeat(129)
  };

  private static final String[] FRAME_TYPES = {
    "connect", "ping", "pong", "subscribe", "unsubscribe", "presence", "ack", "event", ""
  };

  private final MockWebServer api = new MockWebServer();
  private ScheduledExecutorService timers;
  private RealtimeSettings settings;
  private Hub hub;
  private int connections;

  @BeforeEach
  void start() throws Exception {
    api.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            boolean mine = request.getTarget().startsWith("/api/conversations/mine");
            return new MockResponse.Builder().code(mine ? 204 : 404).build();
          }
        });
    api.start();
    settings = RealtimeSettings.defaults(api.url("/").toString());
    Telemetry telemetry = Telemetry.noop("uat-realtime");
    HubMetrics metrics = new HubMetrics(telemetry, "in-process");
    RealtimeEvents.Backing backing = RealtimeEvents.inProcess().backing(settings, metrics);
    timers = Executors.newSingleThreadScheduledExecutor();
    Credentials credentials =
        new Credentials(
            TokenVerifier.local(Rig.KEYS, Realtime.AUDIENCE),
            new CredentialBackend() {
              @Override
              public Optional<Principal> apiKey(String secret) {
                return Optional.empty();
              }

              @Override
              public boolean sessionActive(Principal principal, String accessToken) {
                return true;
              }
            });
    hub =
        new Hub(
            settings,
            telemetry,
            metrics,
            credentials,
            "in-process",
            backing.history(),
            backing.presence(),
            timers);
  }

  @AfterEach
  void stop() throws Exception {
    if (hub != null) {
      hub.shutdown();
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    api.close();
  }

  /** Thrown by the target when the hub answered with an error or closed: a documented refusal. */
  private static final class Refused extends RuntimeException {
    Refused() {
      super(null, null, false, false);
    }
  }

  /** What the hub sent to one connection (the delivery thread sends recovered events). */
  private static final class Sent {
    final List<String> texts = new CopyOnWriteArrayList<>();
    final List<Integer> closes = new CopyOnWriteArrayList<>();
  }

  /** A Jetty session that records what is sent and closed, and takes every frame at once. */
  private static Session session(Sent sent) {
    boolean[] open = {true};
    return (Session)
        Proxy.newProxyInstance(
            Session.class.getClassLoader(),
            new Class<?>[] {Session.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "sendText" -> {
                    sent.texts.add((String) args[0]);
                    ((Callback) args[1]).succeed();
                    yield null;
                  }
                  case "close" -> {
                    if (args != null && args.length == 3) {
                      sent.closes.add((Integer) args[0]);
                    }
                    open[0] = false;
                    yield null;
                  }
                  case "disconnect" -> {
                    open[0] = false;
                    yield null;
                  }
                  case "isOpen" -> open[0];
                  case "getRemoteSocketAddress" -> new InetSocketAddress("127.0.0.1", 1);
                  case "toString" -> "FuzzSession";
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> {
                    Class<?> r = method.getReturnType();
                    yield r == boolean.class
                        ? false
                        : r == int.class ? 0 : r == long.class ? 0L : null;
                  }
                });
  }

  /** One input: its frames on one fresh connection, then the connection closes. */
  private void frames(byte[] input) {
    Sent sent = new Sent();
    String id = "fuzz-" + connections++;
    Connection c = hub.connections.opened(id, session(sent), "127.0.0.1");
    assertThat(c).as("the connection was admitted").isNotNull();
    try {
      if (connections % 2 == 0 && !hub.protocol.authenticate(c, TOKEN, false, null)) {
        throw new AssertionError("authentication with a good token failed: " + sent.texts);
      }
      for (String frame : new String(input, UTF_8).split("\n", MAX_FRAMES)) {
        if (frame.getBytes(UTF_8).length > settings.maxFrameBytes()) {
          sent.closes.add(1009); // Jetty's, before the hub sees it
          break;
        }
        hub.protocol.onFrame(c, frame);
      }
    } finally {
      hub.connections.closed(id, 1000);
    }
    boolean refused = !sent.closes.isEmpty();
    for (String text : sent.texts) {
      JsonNode f;
      try {
        f = Json.MAPPER.readTree(text);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + text, e);
      }
      String type = f.path("type").asText();
      if (!f.isObject() || !TYPES.contains(type)) {
        throw new AssertionError("undocumented frame: " + text);
      }
      if (type.equals("error")) {
        refused = true;
        if (!CODES.contains(f.path("code").asText())) {
          throw new AssertionError("undocumented error code: " + text);
        }
      }
    }
    for (int code : sent.closes) {
      if (code != 1009 && !CLOSE_CODES.contains(code)) {
        throw new AssertionError("undocumented close code " + code);
      }
    }
    if (hub.connections.count() != 0) {
      throw new AssertionError("a connection is left: " + hub.connections.all());
    }
    for (String channel : CHANNELS) {
      var members = hub.delivery.members(channel);
      if (members != null && !members.isEmpty()) {
        throw new AssertionError("members left in " + channel + ": " + members);
      }
    }
    if (refused) {
      throw new Refused();
    }
  }

  /** A sequence of frames with the protocol's fields, values of any JSON type among them. */
  private static byte[] generate(Random r) {
    int n = r.nextInt(20) == 0 ? 60 + r.nextInt(100) : 1 + r.nextInt(6);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append('\n');
      }
      b.append("{\"type\":")
          .append(
              r.nextInt(10) == 0
                  ? Fuzzer.randomJson(r, 0)
                  : Fuzzer.quote(FRAME_TYPES[r.nextInt(FRAME_TYPES.length)]));
      if (r.nextInt(3) > 0) {
        b.append(",\"channel\":")
            .append(
                r.nextInt(8) == 0
                    ? Fuzzer.randomJson(r, 0)
                    : Fuzzer.quote(
                        r.nextInt(4) == 0
                            ? "conversation:mine-" + r.nextInt(80)
                            : CHANNELS[r.nextInt(CHANNELS.length)]));
      }
      if (r.nextInt(3) == 0) {
        b.append(",\"id\":").append(Fuzzer.randomJson(r, 0));
      }
      if (r.nextInt(4) == 0) {
        b.append(",\"since\":")
            .append(
                r.nextInt(3) == 0
                    ? Fuzzer.randomJson(r, 0)
                    : "{\"offset\":"
                        + (r.nextBoolean() ? r.nextInt(5) : Fuzzer.randomJson(r, 1))
                        + ",\"epoch\":"
                        + (r.nextBoolean() ? "\"e\"" : Fuzzer.randomJson(r, 1))
                        + "}");
      }
      if (r.nextInt(4) == 0) {
        b.append(",\"offset\":").append(r.nextBoolean() ? r.nextInt(5) : Fuzzer.randomJson(r, 0));
      }
      if (r.nextInt(6) == 0) {
        b.append(",\"token\":")
            .append(r.nextBoolean() ? Fuzzer.quote(TOKEN) : Fuzzer.randomJson(r, 0));
      }
      if (r.nextInt(6) == 0) {
        b.append(",\"ack\":").append(Fuzzer.randomJson(r, 0));
      }
      b.append('}');
    }
    return b.toString().getBytes(UTF_8);
  }

  Fuzzer.Report run() {
    return new Fuzzer(
            "realtime-frames",
            List.of(
                "{\"type\":\"ping\",\"id\":1}".getBytes(UTF_8),
                ("{\"type\":\"connect\",\"token\":\""
                        + TOKEN
                        + "\",\"ack\":true,\"id\":\"c\"}\n"
                        + "{\"type\":\"subscribe\",\"channel\":\"conversation:mine-1\",\"id\":2}\n"
                        + "{\"type\":\"presence\",\"channel\":\"conversation:mine-1\"}\n"
                        + "{\"type\":\"ack\",\"channel\":\"conversation:mine-1\",\"offset\":0}\n"
                        + "{\"type\":\"unsubscribe\",\"channel\":\"conversation:mine-1\"}")
                    .getBytes(UTF_8),
                ("{\"type\":\"subscribe\",\"channel\":\"user:fuzz\","
                        + "\"since\":{\"offset\":0,\"epoch\":\"e\"}}\n"
                        + "{\"type\":\"presence\",\"channel\":\"user:fuzz\",\"id\":[1]}")
                    .getBytes(UTF_8),
                "{\"type\":\"subscribe\",\"channel\":\"conversation:other\"}\n{\"type\":\"pong\"}"
                    .getBytes(UTF_8)),
            e -> e instanceof Refused,
            length -> 64 * length + (8 << 20))
        .generator(FrameProtocolFuzzTest::generate)
        .run(this::frames);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void clientFramesGetOnlyDocumentedAnswersWithinBoundsAndLeaveNothingBehind() throws Exception {
    assertThat(run().findings()).isEmpty();

    // the user's connection count was released every time: one more connects
    Sent sent = new Sent();
    Connection c = hub.connections.opened("after", session(sent), "127.0.0.1");
    assertThat(hub.protocol.authenticate(c, TOKEN, false, null)).as(sent.texts.toString()).isTrue();
    hub.connections.closed("after", 1000);
  }
}
