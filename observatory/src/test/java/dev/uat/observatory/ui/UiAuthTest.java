package dev.uat.observatory.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.Observatory;
import dev.uat.observatory.ObservatorySettings;
import dev.uat.observatory.TestObservatory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The token that guards the query port. */
@Timeout(60)
class UiAuthTest {
  private static final String TOKEN = "s3cret-token";
  private final HttpClient client = HttpClient.newHttpClient(); // follows no redirects
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  private void start(String token) {
    fixture = observatories.start(TestObservatory.settings(1 << 20).token(token).build());
    observatory = fixture.observatory();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(observatory.queryUrl() + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void onLoopbackWithoutATokenEverythingIsOpen() throws Exception {
    start(null);

    assertThat(observatory.token()).isEmpty();
    assertThat(get("/api/services").statusCode()).isEqualTo(200);
    assertThat(get("/trace/abc").statusCode()).isEqualTo(200);
  }

  @Test
  void aConfiguredTokenIsRequiredByTheApiAndThePages() throws Exception {
    start(TOKEN);

    assertThat(observatory.token()).hasValue(TOKEN);
    HttpResponse<String> api = get("/api/services");
    assertThat(api.statusCode()).isEqualTo(401);
    assertThat(api.body()).contains("\"code\":\"unauthorized\"");
    assertThat(get("/api/services", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(get("/api/services", "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(200);
    assertThat(get("/metrics", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    assertThat(get("/metrics").statusCode()).isEqualTo(401);
    assertThat(get("/health/ready").statusCode()).as("health stays open").isEqualTo(200);

    HttpResponse<String> page = get("/trace/0af7651916cd43dd8448eb211c80319c");
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.body())
        .contains("<form method=\"post\" action=\"/login\">")
        .contains("value=\"/trace/0af7651916cd43dd8448eb211c80319c\"");
  }

  @Test
  void aTokenInTheLinkSetsACookieAndIsDroppedFromTheAddress() throws Exception {
    start(TOKEN);

    HttpResponse<String> login = get("/trace/abc?token=" + TOKEN);

    assertThat(login.statusCode()).isIn(302, 303);
    assertThat(login.headers().firstValue("Location")).hasValue("/trace/abc");
    String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie)
        .startsWith(UiAuth.COOKIE + "=")
        .contains("HttpOnly")
        .contains("SameSite=Strict");
    String pair = cookie.split(";", 2)[0];
    assertThat(get("/trace/abc", "Cookie", pair).statusCode()).isEqualTo(200);
    assertThat(get("/api/ui/trace/abc", "Cookie", pair).statusCode())
        .as("not found, but let in")
        .isEqualTo(404);
    assertThat(get("/trace/abc?token=wrong").statusCode()).isEqualTo(401);
  }

  @Test
  void theLoginFormChecksTheTokenAndRedirectsOnlyWithinTheSite() throws Exception {
    start(TOKEN);

    HttpResponse<String> wrong = post("token=nope&next=/alerts");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("That token is not valid.");

    HttpResponse<String> right = post("token=" + TOKEN + "&next=/alerts");
    assertThat(right.statusCode()).isIn(302, 303);
    assertThat(right.headers().firstValue("Location")).hasValue("/alerts");
    assertThat(right.headers().firstValue("Set-Cookie")).isPresent();

    HttpResponse<String> offsite = post("token=" + TOKEN + "&next=//evil.example/");
    assertThat(offsite.headers().firstValue("Location")).hasValue("/");
  }

  private HttpResponse<String> post(String form) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void onlyLoopbackHostsGoWithoutAToken() {
    ObservatorySettings base = ObservatorySettings.defaults();
    assertThat(base.loopback()).isTrue();
    assertThat(base.toBuilder().host("localhost").build().loopback()).isTrue();
    assertThat(base.toBuilder().host("::1").build().loopback()).isTrue();
    assertThat(base.toBuilder().host("0.0.0.0").build().loopback()).isFalse();
    assertThat(base.toBuilder().host("192.0.2.10").build().loopback()).isFalse();
    assertThat(base.toBuilder().token("x").build().toString())
        .doesNotContain("x,")
        .contains("token=(set)");
    assertThat(base.toString()).contains("token=none");
    assertThatThrownBy(() -> base.toBuilder().token("").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token");
  }
}
