package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Rate limits, with tight settings (in memory: the database does not matter here). */
class LimitsTest extends ApiFixture {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }

  @Override
  ApiSettings.Limits limits() {
    return new ApiSettings.Limits(8, 2, 3, 20);
  }

  @Test
  void repeatedFailedLoginsLockTheAccountForAWhileEvenForTheRightPassword() throws Exception {
    register("locked@example.com");
    for (int i = 0; i < 3; i++) {
      assertThat(
              call(
                      "POST",
                      "/api/auth/login",
                      null,
                      "{\"email\":\"locked@example.com\",\"password\":\"guess " + i + "xx\"}")
                  .statusCode())
          .isEqualTo(401);
    }
    var locked =
        call(
            "POST",
            "/api/auth/login",
            null,
            "{\"email\":\"locked@example.com\",\"password\":\"" + PASSWORD + "\"}");
    assertThat(locked.statusCode()).isEqualTo(429);
    assertThat(json(locked).at("/error/code").asText()).isEqualTo("too_many_failures");
    assertThat(Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow()))
        .isPositive();
  }

  @Test
  void loginAttemptsPerAddressAreLimited() throws Exception {
    int status = 0;
    for (int i = 0; i < 25 && status != 429; i++) {
      status =
          call(
                  "POST",
                  "/api/auth/login",
                  null,
                  "{\"email\":\"nobody" + i + "@example.com\",\"password\":\"whatever1\"}")
              .statusCode();
    }
    assertThat(status).isEqualTo(429);
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
  }
}
