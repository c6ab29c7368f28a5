package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.auth.Credentials;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenIssuer;
import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code /v1} request is authenticated by the shared {@link Credentials} — a platform access
 * token whose login session must still be active, or an API key the api vouches for (its {@code GET
 * /api/auth/introspect}, served here by {@link FakeApi} on a real HTTP server) — and limited per
 * caller. Revocations end access within {@link Credentials#RECHECK}, at once with the bus.
 */
@Timeout(30)
class AuthAndLimitsTest {
  static final String KEY = "uat_sk_3q2Zb0yS0hQ4l1WZC0dJ8xK7";

  @TempDir Path dir;
  private final TestTelemetry otel = new TestTelemetry("uat-router");
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private FakeApi api;
  private Router router;

  @BeforeEach
  void start() throws Exception {
    api = new FakeApi().key(KEY, "key-1", "user-7", "chat");
    startRouter("");
  }

  /** The echo provider on a free port, asking the fake api about credentials. */
  private RouterSettingsBuilder echoAskingTheApi() {
    return RouterSettings.defaults().toBuilder().port(0).provider("echo").apiUrl(api.url());
  }

  private void startRouter(String config) throws Exception {
    if (router != null) {
      router.close();
    }
    Path file = dir.resolve("router.yaml");
    Files.writeString(file, config);
    router =
        Router.start(
            echoAskingTheApi().configFile(file).build(),
            otel.telemetry(),
            Http.VERIFIER,
            false,
            clock::get);
  }

  @AfterEach
  void stop() {
    router.close();
    api.close();
    otel.close();
  }

  private HttpResponse<String> chat(String bearer) throws Exception {
    return Http.post(router.url() + "/v1/chat/completions", Http.chat(null, "Hi"), bearer);
  }

  @Test
  void platformAccessTokenIsAccepted() throws Exception {
    String token = api.signIn("user-3", "s-1");

    assertThat(chat(token).statusCode()).isEqualTo(200);
    assertThat(Http.get(router.url() + "/v1/models", token).statusCode()).isEqualTo(200);
    assertThat(api.asked).hasValue(1); // the session's answer is cached
    // a token outside any login session (a service's) is checked by its signature alone
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);
    assertThat(api.asked).hasValue(1);
  }

  @Test
  void missingForgedOrScopelessCredentialsAreRefused() throws Exception {
    var none = chat(null);
    var forged = chat(new TokenIssuer(JwtKeys.ephemeral()).access("u", Set.of("chat")).value());
    var noChat = chat(new TokenIssuer(Http.KEYS).access("u", Set.of("admin")).value());
    var models = Http.get(router.url() + "/v1/models", null);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(Http.json(none).at("/error/type").asText()).isEqualTo("authentication_error");
    assertThat(Http.json(none).at("/error/message").asText()).contains("Authorization: Bearer");
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(Http.json(forged).at("/error/message").asText())
        .startsWith("the access token is not valid");
    assertThat(noChat.statusCode()).isEqualTo(403);
    assertThat(Http.json(noChat).at("/error/message").asText()).contains("does not allow 'chat'");
    assertThat(models.statusCode()).isEqualTo(401);
  }

  @Test
  void apiKeyIsValidatedByTheApiOnceThenCached() throws Exception {
    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    assertThat(chat(KEY).statusCode()).isEqualTo(200);

    assertThat(api.asked).hasValue(1);
  }

  @Test
  void unknownApiKeyIs401AndTheRefusalIsCachedBriefly() throws Exception {
    String unknown = "uat_sk_unknownUnknownUnknownUnknown";

    var first = chat(unknown);
    var second = chat(unknown);

    assertThat(first.statusCode()).isEqualTo(401);
    assertThat(Http.json(first).at("/error/message").asText()).contains("API key is not valid");
    assertThat(second.statusCode()).isEqualTo(401);
    assertThat(api.asked).hasValue(1);
  }

  @Test
  void apiKeyWithoutChatScopeIs403() throws Exception {
    api.key(KEY, "key-1", "user-7", "admin");

    var refused = chat(KEY);

    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(Http.json(refused).at("/error/message").asText())
        .isEqualTo("the API key does not allow 'chat'");
  }

  @Test
  void apiThatCannotBeAskedIs503AndNotCached() throws Exception {
    api.down = true;

    var response = chat(KEY);
    api.down = false;
    var later = chat(KEY);

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(Http.json(response).at("/error/code").asText()).isEqualTo("auth_unavailable");
    assertThat(Http.json(response).at("/error/message").asText())
        .startsWith("the API key cannot be checked now");
    assertThat(later.statusCode()).isEqualTo(200);
  }

  @Test
  void endedSessionAndRevokedKeyAreRefusedWithinTheRecheckPeriodWithoutSignals() throws Exception {
    String token = api.signIn("user-3", "s-1");
    assertThat(chat(token).statusCode()).isEqualTo(200);
    assertThat(chat(KEY).statusCode()).isEqualTo(200);

    long ended = System.nanoTime();
    api.endSession("s-1");
    api.revokeKey(KEY);

    Awaitility.await()
        .atMost(Credentials.RECHECK.plusSeconds(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> chat(token).statusCode() == 401 && chat(KEY).statusCode() == 401);
    assertThat(Duration.ofNanos(System.nanoTime() - ended))
        .isLessThanOrEqualTo(Credentials.RECHECK.plusSeconds(2));
    var refused = chat(token);
    assertThat(Http.json(refused).at("/error/message").asText())
        .contains("login session was ended");
    assertThat(Http.json(chat(KEY)).at("/error/message").asText()).contains("API key is not valid");
  }

  @Test
  void revocationSignalsOnTheBusEndAccessAtOnce() throws Exception {
    router.close();
    Credentials credentials = Router.credentials(api.url(), otel.telemetry(), Http.VERIFIER);
    try (InProcessEventBus bus = new InProcessEventBus();
        AutoCloseable listening = credentials.listen(bus)) {
      router = Router.start(echoAskingTheApi().build(), otel.telemetry(), credentials);
      String token = api.signIn("user-3", "s-1");
      String other = api.signIn("user-3", "s-2");
      assertThat(chat(token).statusCode()).isEqualTo(200);
      assertThat(chat(other).statusCode()).isEqualTo(200);
      assertThat(chat(KEY).statusCode()).isEqualTo(200);

      api.endSession("s-1"); // what the api does on logout, then tells everyone
      bus.publish(Revocation.session("s-1").toEvent());
      api.revokeKey(KEY);
      bus.publish(Revocation.key("key-1").toEvent());

      Awaitility.await()
          .atMost(Duration.ofSeconds(2))
          .until(() -> chat(token).statusCode() == 401 && chat(KEY).statusCode() == 401);
      assertThat(chat(other).statusCode()).isEqualTo(200); // the other session is untouched
    }
  }

  @Test
  void limitsAreKeptPerKeyAndRefusalsAre429WithRetryAfterAndRefill() throws Exception {
    startRouter("limits: {requests_per_minute: 2}");

    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    var refused = chat(KEY);

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
    assertThat(Http.json(refused).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
    assertThat(Http.json(refused).at("/error/type").asText()).isEqualTo("rate_limit_error");
    assertThat(Http.json(refused).at("/error/message").asText()).contains("this API key");
    assertThat(otel.metric("uat.router.rate_limit.rejections").getLongSumData().getPoints())
        .singleElement()
        .satisfies(p -> assertThat(p.getValue()).isEqualTo(1));
    // another caller is not held back
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);

    clock.addAndGet(TimeUnit.SECONDS.toNanos(30));
    assertThat(chat(KEY).statusCode()).isEqualTo(200);
  }

  @Test
  void tokensPerMinuteLimitHoldsBackAfterTheBudgetIsUsed() throws Exception {
    startRouter("limits: {tokens_per_minute: 20}");

    var first = chat(KEY); // the echo answer uses more than 20 tokens
    var second = chat(KEY);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(Http.json(first).at("/usage/total_tokens").asInt()).isGreaterThan(20);
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(Http.json(second).at("/error/message").asText()).contains("tokens per minute");
  }

  @Test
  void configuredLimitsApplyToEachUser() throws Exception {
    startRouter("limits: {requests_per_minute: 1}");

    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(429);
    assertThat(chat(Http.token("user-2")).statusCode()).isEqualTo(200);
  }

  @Test
  void rateLimitBucketsAreBoundedInBytesAndEvictionsCounted() {
    RouterMetrics metrics = new RouterMetrics(otel.telemetry());
    long budget = 64 * 1024;
    RateLimiter limiter =
        new RateLimiter(new RouterConfig.Limits(10, null), clock::get, metrics, budget);

    for (int i = 0; i < 2_000; i++) { // about 200 bytes each: several times the budget
      limiter.admit(new Caller("user-" + i, null));
    }

    assertThat(limiter.bytes()).isLessThanOrEqualTo(budget);
    assertThat(otel.metric("uat.router.budget.evictions").getLongSumData().getPoints())
        .anySatisfy(
            p -> {
              assertThat(p.getAttributes().get(AttributeKey.stringKey("uat.router.budget")))
                  .isEqualTo("rate_limit_buckets");
              assertThat(p.getValue()).isGreaterThan(1_000);
            });
  }

  @Test
  void withoutAnApiKeysAndSessionsCannotBeCheckedAnd503SaysWhy() throws Exception {
    router.close();
    router =
        Router.start(
            RouterSettings.defaults().toBuilder().port(0).provider("echo").build(),
            otel.telemetry(),
            Http.VERIFIER,
            false);

    var key = chat(KEY);
    var session = chat(api.signIn("user-3", "s-9"));

    assertThat(key.statusCode()).isEqualTo(503);
    assertThat(Http.json(key).at("/error/code").asText()).isEqualTo("auth_unavailable");
    assertThat(Http.json(key).at("/error/message").asText()).contains("api-url");
    assertThat(session.statusCode()).isEqualTo(503);
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);
  }
}
