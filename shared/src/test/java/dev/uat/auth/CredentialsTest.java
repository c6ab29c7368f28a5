package dev.uat.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import com.sun.net.httpserver.HttpServer;
import dev.uat.events.InProcessEventBus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CredentialsTest {
  private final JwtKeys jwt = JwtKeys.ephemeral();
  private final TokenIssuer issuer = new TokenIssuer(jwt);
  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;

  /** The answers of a database: which sessions are active, which keys live, and how often asked. */
  static final class Table implements CredentialBackend {
    final Set<String> activeSessions = ConcurrentHashMap.newKeySet();
    final Map<String, Principal> keys = new ConcurrentHashMap<>();
    final AtomicInteger asked = new AtomicInteger();
    volatile boolean down;

    @Override
    public Optional<Principal> apiKey(String secret) throws CredentialsUnavailableException {
      check();
      return Optional.ofNullable(keys.get(secret));
    }

    @Override
    public boolean sessionActive(Principal principal, String accessToken)
        throws CredentialsUnavailableException {
      check();
      return activeSessions.contains(principal.sessionId());
    }

    private void check() throws CredentialsUnavailableException {
      asked.incrementAndGet();
      if (down) {
        throw new CredentialsUnavailableException("down", null);
      }
    }
  }

  private Credentials credentials(Table table) {
    return new Credentials(
        TokenVerifier.local(jwt),
        table,
        Credentials.RECHECK,
        Credentials.DEFAULT_CACHE_BYTES,
        ticker,
        Clock.systemUTC());
  }

  @Test
  void endedSessionIsRefusedAfterTheRecheckPeriodWithoutAnySignal() throws Exception {
    Table table = new Table();
    table.activeSessions.add("s1");
    Credentials c = credentials(table);
    String token = issuer.access("u1", Set.of("chat"), "s1").value();

    assertThat(c.authenticate("Bearer " + token).userId()).isEqualTo("u1");
    assertThat(c.authenticate("Bearer " + token).sessionId()).isEqualTo("s1");
    assertThat(table.asked).hasValue(1); // the second answer came from the cache

    table.activeSessions.remove("s1");
    assertThat(c.authenticate("Bearer " + token).userId()).isEqualTo("u1"); // still believed
    nanos.addAndGet(Credentials.RECHECK.toNanos() + 1);
    assertThatThrownBy(() -> c.authenticate("Bearer " + token))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.REVOKED));
  }

  @Test
  void revocationSignalsOverTheBusEndAccessAtOnceAndReachListeners() throws Exception {
    Table table = new Table();
    table.activeSessions.addAll(List.of("s1", "s2"));
    Principal key = Principal.apiKey("k1", "u2", Set.of("chat"), Instant.MAX);
    String secret = ApiKeyFormat.newSecret();
    table.keys.put(secret, key);
    Credentials api = credentials(table);
    Credentials elsewhere = credentials(table);
    List<Revocation> heard = new ArrayList<>();
    try (InProcessEventBus bus = new InProcessEventBus();
        AutoCloseable listening = elsewhere.listen(bus);
        AutoCloseable listener = elsewhere.onRevocation(heard::add)) {
      String t1 = issuer.access("u1", Set.of("chat"), "s1").value();
      String t2 = issuer.access("u1", Set.of("chat"), "s2").value();
      elsewhere.authenticate("Bearer " + t1);
      elsewhere.authenticate("Bearer " + t2);
      assertThat(elsewhere.authenticate("Bearer " + secret)).isEqualTo(key);

      table.activeSessions.remove("s1");
      api.announce(bus, Revocation.session("s1"));
      assertThatThrownBy(() -> elsewhere.authenticate("Bearer " + t1))
          .isInstanceOf(InvalidTokenException.class)
          .hasMessageContaining("session was ended");
      assertThat(elsewhere.authenticate("Bearer " + t2).sessionId()).isEqualTo("s2");

      table.keys.clear();
      api.announce(bus, Revocation.key("k1"));
      assertThatThrownBy(() -> elsewhere.authenticate("Bearer " + secret))
          .isInstanceOf(InvalidTokenException.class);

      table.activeSessions.clear();
      api.announce(bus, Revocation.user("u1"));
      assertThatThrownBy(() -> elsewhere.authenticate("Bearer " + t2))
          .isInstanceOf(InvalidTokenException.class);

      assertThat(heard)
          .containsExactly(Revocation.session("s1"), Revocation.key("k1"), Revocation.user("u1"));
      assertThat(heard.get(0).concerns(elsewhere.verifier().verifyAccess(t1))).isTrue();
      assertThat(heard.get(0).concerns(elsewhere.verifier().verifyAccess(t2))).isFalse();
    }
  }

  @Test
  void expiredKeysAndUnreachableBackendsAreToldApart() throws Exception {
    Table table = new Table();
    String expired = ApiKeyFormat.newSecret();
    table.keys.put(
        expired, Principal.apiKey("k2", "u1", Set.of("admin"), Instant.now().minusSeconds(1)));
    Credentials c = credentials(table);
    assertThatThrownBy(() -> c.authenticate("Bearer " + expired))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.EXPIRED));

    table.down = true;
    String token = issuer.access("u1", Set.of("chat"), "s9").value();
    assertThatThrownBy(() -> c.authenticate("Bearer " + token))
        .isInstanceOf(CredentialsUnavailableException.class);
    table.down = false;
    table.activeSessions.add("s9");
    assertThat(c.authenticate("Bearer " + token).userId()).isEqualTo("u1"); // nothing was cached
    assertThatThrownBy(() -> c.authenticate("Basic abc")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> c.authenticate("Bearer " + "x".repeat(9000)))
        .hasMessageContaining("too long");
  }

  @Test
  void manyUnknownKeysStayWithinTheCacheBudget() throws Exception {
    Table table = new Table();
    Credentials c =
        new Credentials(
            TokenVerifier.local(jwt),
            table,
            Credentials.RECHECK,
            64 * 1024,
            ticker,
            Clock.systemUTC());
    for (int i = 0; i < 5_000; i++) {
      String junk = ApiKeyFormat.newSecret();
      assertThatThrownBy(() -> c.authenticate("Bearer " + junk))
          .isInstanceOf(InvalidTokenException.class);
    }
    // every answer was weighed: far fewer than 5,000 stayed (a 32 KiB half holds ~130 of them)
    String again = ApiKeyFormat.newSecret();
    table.keys.put(again, Principal.apiKey("k3", "u3", Set.of("chat"), Instant.MAX));
    assertThat(c.authenticate("Bearer " + again).userId()).isEqualTo("u3");
  }

  @Test
  void remoteBackendAsksTheApiWithTheCredentialItself() throws Exception {
    HttpServer api =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    List<String> seen = new ArrayList<>();
    api.createContext(
        RemoteCredentialBackend.PATH,
        exchange -> {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          seen.add(auth);
          String body;
          int status;
          if (auth.endsWith("good-key")) {
            status = 200;
            body =
                "{\"active\":true,\"kind\":\"api_key\",\"key_id\":\"k1\",\"user_id\":\"u1\","
                    + "\"scopes\":[\"chat\"],\"expires_at\":4102444800}";
          } else if (auth.endsWith("broken")) {
            status = 500;
            body = "{}";
          } else {
            status = 401;
            body = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}";
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    api.start();
    try {
      var remote =
          new RemoteCredentialBackend(
              "http://127.0.0.1:" + api.getAddress().getPort() + "/", HttpClient.newHttpClient());
      Principal p = remote.apiKey("uat_sk_good-key").orElseThrow();
      assertThat(p.isApiKey()).isTrue();
      assertThat(p.tokenId()).isEqualTo("k1");
      assertThat(p.scopes()).containsExactly("chat");
      assertThat(p.expiresAt()).isEqualTo(Instant.ofEpochSecond(4102444800L));
      assertThat(remote.apiKey("uat_sk_other")).isEmpty();
      assertThat(remote.sessionActive(p, "some.jwt")).isFalse();
      assertThatThrownBy(() -> remote.apiKey("uat_sk_broken"))
          .isInstanceOf(CredentialsUnavailableException.class);
      assertThat(seen).first().isEqualTo("Bearer uat_sk_good-key");
    } finally {
      api.stop(0);
    }
    var unreachable = new RemoteCredentialBackend("http://127.0.0.1:1", HttpClient.newHttpClient());
    assertThatThrownBy(() -> unreachable.apiKey("uat_sk_x"))
        .isInstanceOf(CredentialsUnavailableException.class);
  }

  @Test
  void revocationEventsSurviveAJsonRoundTripAndJunkIsIgnored() throws Exception {
    var event = Revocation.user("u1").toEvent();
    var json = dev.uat.web.Json.MAPPER.writeValueAsString(event.data());
    Object data = dev.uat.web.Json.MAPPER.readValue(json, Map.class);
    var back = new dev.uat.events.Event(event.channel(), event.event(), data, null, 0L);
    assertThat(Revocation.fromEvent(back)).contains(Revocation.user("u1"));
    var tree =
        new dev.uat.events.Event(
            event.channel(), event.event(), dev.uat.web.Json.MAPPER.readTree(json), null, 0L);
    assertThat(Revocation.fromEvent(tree)).contains(Revocation.user("u1"));
    assertThat(
            Revocation.fromEvent(
                new dev.uat.events.Event(
                    Revocation.CHANNEL, Revocation.EVENT, Map.of("kind", "x", "id", "y"), null, 0)))
        .isEmpty();
    assertThat(
            Revocation.fromEvent(
                new dev.uat.events.Event(
                    "conversation:1",
                    Revocation.EVENT,
                    Map.of("kind", "user", "id", "y"),
                    null,
                    0)))
        .isEmpty();
    assertThat(Duration.ofSeconds(5)).isEqualTo(Credentials.RECHECK);
  }
}
