package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code /v1} request is authenticated — a platform JWT, or an API key the api vouches for
 * ({@code GET /api/keys/self}, faked here with its exact answer) — and limited per key.
 */
@Timeout(30)
class AuthAndLimitsTest {
  static final String KEY = "uat_sk_3q2Zb0yS0hQ4l1WZC0dJ8xK7";

  static String self(Integer rpm, Integer tpm) {
    return """
        {"key_id":"key-1","user_id":"user-7","name":"ci","scopes":["chat"],
         "rate_limit":{"requests_per_minute":%s,"tokens_per_minute":%s}}
        """
        .formatted(rpm, tpm);
  }

  @TempDir Path dir;
  private final RecordingTelemetry otel = new RecordingTelemetry();
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private FakeUpstream api;
  private Router router;

  @BeforeEach
  void start() throws Exception {
    api = new FakeUpstream().on("/api/keys/self", 200, self(null, null));
    startRouter("");
  }

  private void startRouter(String config) throws Exception {
    if (router != null) {
      router.close();
    }
    Path file = dir.resolve("router.yaml");
    Files.writeString(file, config);
    router =
        Router.start(
            RouterSettings.defaults()
                .withPort(0)
                .withProvider("echo")
                .withApiUrl(api.url())
                .withConfigFile(file),
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
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);
    assertThat(Http.get(router.url() + "/v1/models", Http.TOKEN).statusCode()).isEqualTo(200);
    assertThat(api.requests("/api/keys/self")).isEmpty();
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
    assertThat(noChat.statusCode()).isEqualTo(403);
    assertThat(models.statusCode()).isEqualTo(401);
  }

  @Test
  void apiKeyIsValidatedByTheApiOnceThenCached() throws Exception {
    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    assertThat(chat(KEY).statusCode()).isEqualTo(200);

    assertThat(api.requests("/api/keys/self")).hasSize(1);
    RecordedRequest asked = api.requests("/api/keys/self").getFirst();
    assertThat(asked.getMethod()).isEqualTo("GET");
    assertThat(asked.getHeaders().get("Authorization")).isEqualTo("Bearer " + KEY);
  }

  @Test
  void unknownApiKeyIs401AndTheRefusalIsCachedBriefly() throws Exception {
    api.on("/api/keys/self", 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}");

    var first = chat(KEY);
    var second = chat(KEY);

    assertThat(first.statusCode()).isEqualTo(401);
    assertThat(Http.json(first).at("/error/message").asText()).contains("API key is not valid");
    assertThat(second.statusCode()).isEqualTo(401);
    assertThat(api.requests("/api/keys/self")).hasSize(1);
  }

  @Test
  void apiKeyWithoutChatScopeIs403() throws Exception {
    api.on(
        "/api/keys/self",
        200,
        self(null, null).replace("\"scopes\":[\"chat\"]", "\"scopes\":[\"admin\"]"));

    assertThat(chat(KEY).statusCode()).isEqualTo(403);
  }

  @Test
  void apiThatCannotBeAskedIs503AndNotCached() throws Exception {
    api.on("/api/keys/self", 500, "{}");

    var response = chat(KEY);
    api.on("/api/keys/self", 200, self(null, null));
    var later = chat(KEY);

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(Http.json(response).at("/error/code").asText()).isEqualTo("auth_unavailable");
    assertThat(later.statusCode()).isEqualTo(200);
  }

  @Test
  void keysRequestsPerMinuteLimitIs429WithRetryAfterAndRefills() throws Exception {
    api.on("/api/keys/self", 200, self(2, null));

    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    assertThat(chat(KEY).statusCode()).isEqualTo(200);
    var refused = chat(KEY);

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
    assertThat(Http.json(refused).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
    assertThat(Http.json(refused).at("/error/type").asText()).isEqualTo("rate_limit_error");
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
    api.on("/api/keys/self", 200, self(null, 20));

    var first = chat(KEY); // the echo answer uses more than 20 tokens
    var second = chat(KEY);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(Http.json(first).at("/usage/total_tokens").asInt()).isGreaterThan(20);
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(Http.json(second).at("/error/message").asText()).contains("tokens per minute");
  }

  @Test
  void configuredDefaultLimitsApplyToCallersWithoutTheirOwn() throws Exception {
    startRouter("limits: {requests_per_minute: 1}");

    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(200);
    assertThat(chat(Http.TOKEN).statusCode()).isEqualTo(429);
    assertThat(chat(Http.token("user-2")).statusCode()).isEqualTo(200);
  }

  @Test
  void apiKeysAreRefusedWhenTheRouterHasNoApi() throws Exception {
    router.close();
    router =
        Router.start(
            RouterSettings.defaults().withPort(0).withProvider("echo"),
            otel.telemetry(),
            Http.VERIFIER,
            false);

    var response = chat(KEY);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(Http.json(response).at("/error/message").asText()).contains("api-url");
  }
}
