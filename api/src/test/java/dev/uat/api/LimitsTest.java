package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Rate limits, with tight settings (in memory: the database does not matter here). */
class LimitsTest extends ApiFixture {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }

  @Override
  ApiSettings.Limits limits() {
    return ApiSettings.Limits.defaults().toBuilder()
        .requestsPerMinute(8)
        .chatsPerMinute(2)
        .loginFailuresBeforeBackoff(3)
        .loginsPerIpPerMinute(20)
        .build();
  }

  private HttpResponse<String> loginFrom(String address, String email, String password)
      throws Exception {
    return callFrom(address, "POST", "/api/auth/login", null, credentials(email, password));
  }

  @Test
  @Timeout(30)
  void failedLoginsFromOneAddressBackOffThatPairOnlyAndNeverLockTheOwnerOut() throws Exception {
    register("target@example.com");
    String stranger = "203.0.113.7";
    for (int i = 0; i < 3; i++) { // the free failures of the pair
      assertThat(loginFrom(stranger, "target@example.com", "guess " + i + "xx").statusCode())
          .isEqualTo(401);
    }
    assertThat(loginFrom(stranger, "target@example.com", "guess 3xx").statusCode()).isEqualTo(401);
    // now the pair waits 1 s: refused unchecked, even with the right password
    var waiting = loginFrom(stranger, "target@example.com", PASSWORD);
    assertThat(waiting.statusCode()).isEqualTo(429);
    assertThat(json(waiting).at("/error/code").asText()).isEqualTo("too_many_failures");
    assertThat(waiting.headers().firstValue("Retry-After")).contains("1");

    // the owner, from another address, logs in meanwhile
    assertThat(loginFrom("198.51.100.20", "target@example.com", PASSWORD).statusCode())
        .isEqualTo(200);
    // and the stranger's other accounts are not the issue: another pair is free
    assertThat(loginFrom(stranger, "someone-else@example.com", "whatever1").statusCode())
        .isEqualTo(401);

    // the next failure of the pair doubles the wait
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> loginFrom(stranger, "target@example.com", "guess 4xx").statusCode() == 401);
    var doubled = loginFrom(stranger, "target@example.com", "guess 5xx");
    assertThat(doubled.statusCode()).isEqualTo(429);
    assertThat(doubled.headers().firstValue("Retry-After")).contains("2");
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"login_backoff\"}");
  }

  @Test
  void loginAttemptsPerAddressAreLimited() throws Exception {
    int status = 0;
    for (int i = 0; i < 25 && status != 429; i++) {
      status = tryLogin("nobody" + i + "@example.com", "whatever1").statusCode();
    }
    assertThat(status).isEqualTo(429);
    assertThat(metrics())
        .contains("uat_api_limit_hits_total{uat_api_limit=\"logins_per_address\"}");
    // another address is not concerned
    assertThat(loginFrom("198.51.100.30", "nobody@example.com", "whatever1").statusCode())
        .isEqualTo(401);
  }

  @Test
  void introspectionIsNotCountedAgainstTheCallersRateLimit() throws Exception {
    String token = register("introspected@example.com");
    for (int i = 0; i < 20; i++) { // the limit is 8 a minute
      assertThat(call("GET", "/api/auth/introspect", token, null).statusCode()).isEqualTo(200);
    }
    assertThat(call("GET", "/api/conversations", token, null).statusCode()).isEqualTo(200);
  }

  @Test
  void requestsPerUserAreLimitedWithRetryAfter() throws Exception {
    String token = register("busy@example.com");
    int status = 0;
    for (int i = 0; i < 12 && status != 429; i++) {
      status = call("GET", "/api/conversations", token, null).statusCode();
    }
    assertThat(status).isEqualTo(429);
    var r = call("GET", "/api/conversations", token, null);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(json(r).at("/error/code").asText()).isEqualTo("rate_limited");
    // another user is not affected
    assertThat(call("GET", "/api/conversations", register("calm@example.com"), null).statusCode())
        .isEqualTo(200);
    assertThat(metrics())
        .contains("uat_api_limit_hits_total{uat_api_limit=\"requests_per_minute\"}");
  }

  @Test
  void chatsPerUserAreLimited() throws Exception {
    String token = register("chatty@example.com");
    routerAnswers();
    routerAnswers();
    assertThat(call("POST", "/api/chat", token, "{\"message\":\"1\"}").statusCode()).isEqualTo(200);
    assertThat(call("POST", "/api/chat", token, "{\"message\":\"2\"}").statusCode()).isEqualTo(200);
    assertThat(call("POST", "/api/chat", token, "{\"message\":\"3\"}").statusCode()).isEqualTo(429);
    assertThat(router.getRequestCount()).isEqualTo(2);
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"chats_per_minute\"}");
  }
}
