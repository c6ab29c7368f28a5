package dev.uat.observatory;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.web.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The receivers take no request a web page could send to them without a CORS preflight (a "simple"
 * request: no Content-Type, a form, or text), and they grant no origin through CORS.
 */
@Timeout(60)
class CrossSiteRequestsTest {
  private static final List<String> SIMPLE_TYPES =
      List.of(
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "text/plain;charset=UTF-8");

  private final HttpClient client = HttpClient.newHttpClient();
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = observatories.start(1 << 20);
    observatory = fixture.observatory();
  }

  private List<String> receivers() {
    return List.of(
        observatory.otlpUrl() + "/v1/traces",
        observatory.otlpUrl() + "/v1/logs",
        observatory.zipkinUrl() + "/api/v2/spans");
  }

  @Test
  void formTextAndUntypedBodiesAreRefusedWith415ByEveryReceiver() throws Exception {
    int refused = 0;
    for (String url : receivers()) {
      List<HttpRequest.Builder> requests =
          new java.util.ArrayList<>(
              SIMPLE_TYPES.stream()
                  .map(t -> HttpRequest.newBuilder(URI.create(url)).header("Content-Type", t))
                  .toList());
      requests.add(HttpRequest.newBuilder(URI.create(url))); // no Content-Type at all
      for (HttpRequest.Builder request : requests) {
        HttpResponse<String> response =
            client.send(
                request
                    .header("Origin", "https://attacker.example")
                    .POST(BodyPublishers.ofByteArray("[]".getBytes(UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(415);
        assertThat(Json.MAPPER.readTree(response.body()).get("error").get("code").asText())
            .isEqualTo("unsupported_media_type");
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        refused++;
      }
    }
    String metrics =
        client
            .send(
                HttpRequest.newBuilder(URI.create(observatory.otlpUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    // /v1/logs is discarded without the pipeline: only the span receivers count
    assertThat(metrics)
        .contains("uat_observatory_ingest_refused_total{reason=\"media_type\"} " + refused * 2 / 3);
  }

  @Test
  void preflightsGrantNoOrigin() throws Exception {
    for (String url : receivers()) {
      HttpResponse<String> preflight =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .method("OPTIONS", BodyPublishers.noBody())
                  .header("Origin", "https://attacker.example")
                  .header("Access-Control-Request-Method", "POST")
                  .header("Access-Control-Request-Headers", "content-type")
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(preflight.statusCode()).as(url).isGreaterThanOrEqualTo(400);
      assertThat(preflight.headers().map().keySet())
          .as(url)
          .noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("access-control-"));
    }
  }
}
