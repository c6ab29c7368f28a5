package dev.uat.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.telemetry.TestTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ExposureTest {
  @Test
  void cidrBlocksMatchTheirAddressesOnly() {
    Cidr ten = Cidr.parse("10.0.0.0/8");
    assertThat(ten.contains("10.200.3.4")).isTrue();
    assertThat(ten.contains("11.0.0.1")).isFalse();
    assertThat(Cidr.parse("192.168.1.0/25").contains("192.168.1.127")).isTrue();
    assertThat(Cidr.parse("192.168.1.0/25").contains("192.168.1.128")).isFalse();
    assertThat(Cidr.parse("::1").contains("[::1]")).isTrue();
    assertThat(Cidr.parse("127.0.0.0/8").contains("::ffff:127.0.0.1")).isTrue();
    assertThat(Cidr.parse("fd00::/8").contains("fd12::5")).isTrue();
    assertThat(ten.contains("example.com")).isFalse();
    assertThat(ten.contains("")).isFalse();
  }

  @Test
  void badBlocksAreRefusedByName() {
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("10.0.0.0/33");
    assertThatThrownBy(() -> Cidr.parse("localhost")).hasMessageContaining("localhost");
    assertThatThrownBy(() -> Cidr.parse("300.1.1.1")).hasMessageContaining("300.1.1.1");
  }

  @Test
  void forwardedForIsBelievedOnlyFromTrustedProxies() {
    Exposure e = Exposure.of("127.0.0.0/8, 10.0.0.0/8", "");
    // an untrusted peer is the client whatever it claims
    assertThat(e.clientAddress("203.0.113.9", "1.2.3.4")).isEqualTo("203.0.113.9");
    // a trusted peer: the rightmost hop that is not a trusted proxy
    assertThat(e.clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.1.1"))
        .isEqualTo("198.51.100.7");
    // every hop trusted: the leftmost
    assertThat(e.clientAddress("127.0.0.1", "10.0.0.5")).isEqualTo("10.0.0.5");
    // garbage stops the walk at the last trusted address
    assertThat(e.clientAddress("127.0.0.1", "evil.example, 10.0.0.9")).isEqualTo("10.0.0.9");
    assertThat(e.clientAddress("127.0.0.1", "not-an-ip")).isEqualTo("127.0.0.1");
    assertThat(e.clientAddress("127.0.0.1", null)).isEqualTo("127.0.0.1");
    assertThat(Exposure.of("", "").clientAddress("127.0.0.1", "1.2.3.4")).isEqualTo("127.0.0.1");
  }

  @Test
  void metricsAndClientAddressFollowTheServicesExposure() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    try (TestTelemetry otel = new TestTelemetry("uat-test");
        Service open =
            Service.builder("open", otel.telemetry())
                .port(0)
                .routes(
                    cfg -> cfg.routes.get("/who", ctx -> ctx.result(Service.clientAddress(ctx))))
                .start();
        Service closed =
            Service.builder("closed", otel.telemetry())
                .port(0)
                .exposure(Exposure.of("", "10.0.0.0/8"))
                .routes(
                    cfg -> cfg.routes.get("/who", ctx -> ctx.result(Service.clientAddress(ctx))))
                .start()) {
      HttpResponse<String> metrics = get(client, open.url() + "/metrics", null);
      assertThat(metrics.statusCode()).isEqualTo(200);
      HttpResponse<String> refused = get(client, closed.url() + "/metrics", null);
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).contains("\"code\":\"forbidden\"").contains("metrics-allow");

      assertThat(get(client, open.url() + "/who", "198.51.100.7").body()).isEqualTo("198.51.100.7");
      assertThat(get(client, closed.url() + "/who", "198.51.100.7").body()).isEqualTo("127.0.0.1");
    }
  }

  private static HttpResponse<String> get(HttpClient client, String url, String forwardedFor)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (forwardedFor != null) {
      b.header("X-Forwarded-For", forwardedFor);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
