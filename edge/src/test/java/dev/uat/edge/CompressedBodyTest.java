package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request bodies with a {@code Content-Encoding}: decoded as they stream in, the decoded bytes held
 * to the body limit, forwarded plain; any other coding refused.
 */
@Timeout(60)
class CompressedBodyTest {
  private static final String JSON = "{\"message\":\"" + "hello ".repeat(500) + "\"}";

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  /** {@code bytes} zeros, gzipped, without ever holding them inflated. */
  static byte[] gzipBomb(long bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] zeros = new byte[64 * 1024];
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
      for (long left = bytes; left > 0; left -= zeros.length) {
        gz.write(zeros, 0, (int) Math.min(zeros.length, left));
      }
    }
    return out.toByteArray();
  }

  private static HttpRequest post(Rig rig, String path, String encoding, byte[] body) {
    return HttpRequest.newBuilder(rig.uri(path))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", encoding)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  @Test
  void gzipAndDeflateBodiesAreForwardedDecoded() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      byte[] plain = JSON.getBytes(StandardCharsets.UTF_8);
      for (var sent :
          new Object[][] {
            {"gzip", gzip(plain)}, {"x-gzip", gzip(plain)}, {"deflate", deflate(plain)}
          }) {
        var response = rig.send(post(rig, "/api/chat", (String) sent[0], (byte[]) sent[1]));
        assertThat(response.statusCode()).as((String) sent[0]).isEqualTo(200);
        RecordedRequest forwarded = rig.api.takeRequest();
        assertThat(forwarded.getBody().utf8()).isEqualTo(JSON);
        assertThat(forwarded.getHeaders().get("Content-Encoding")).isNull();
        assertThat(forwarded.getHeaders().get("Content-Length"))
            .isEqualTo(Integer.toString(plain.length));
      }
    }
  }

  @Test
  void gzipBombIsRefusedWith413AndTheEdgeServesOnAfterwards() throws Exception {
    byte[] bomb = gzipBomb(64L * 1024 * 1024); // ~64 KB on the wire, 64 MiB inflated
    assertThat(bomb.length).isLessThan(100 * 1024);
    // the in-flight budget is one body: had the edge held more than the limit for this
    // request, the budget would have refused it with 503 instead of the 413
    try (Rig rig = new Rig(s -> s.maxBodyBytes(1024 * 1024).maxInFlightBodyBytes(1024 * 1024))) {
      for (String path : new String[] {"/api/chat", "/v1/chat/completions"}) {
        var refused = rig.send(post(rig, path, "gzip", bomb));
        assertThat(refused.statusCode()).as(path).isEqualTo(413);
        assertThat(Rig.errorCode(refused.body())).isEqualTo("payload_too_large");
      }
      assertThat(rig.api.getRequestCount() + rig.router.getRequestCount()).isZero();
      assertThat(rig.metrics()).contains(Rig.refused("body_too_large") + " 2.0");

      var normal = rig.send(post(rig, "/api/chat", "gzip", gzip(JSON.getBytes())));
      assertThat(normal.statusCode()).isEqualTo(200);
      assertThat(rig.api.takeRequest().getBody().utf8()).isEqualTo(JSON);
    }
  }

  @Test
  void manyGzipBombsAtOnceAreRefusedWithinTheInFlightBudget() throws Exception {
    byte[] bomb = gzipBomb(64L * 1024 * 1024);
    try (Rig rig = new Rig(s -> s)) { // 1 MiB a body, 16 MiB in flight: the defaults
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        all.add(
            rig.http.sendAsync(
                post(rig, "/api/chat", "gzip", bomb), HttpResponse.BodyHandlers.ofString()));
      }
      for (var response : all) {
        // 413 once inflated past 1 MiB, or 503 while 16 bodies are being inflated already
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isIn(413, 503);
      }
      assertThat(rig.api.getRequestCount()).isZero();
      var normal = rig.send(post(rig, "/api/chat", "gzip", gzip(JSON.getBytes())));
      assertThat(normal.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aBodyJustUnderTheLimitAfterInflatingIsForwarded() throws Exception {
    try (Rig rig = new Rig(s -> s.maxBodyBytes(100_000))) {
      byte[] exact = new byte[100_000];
      Arrays.fill(exact, (byte) 'a');
      assertThat(rig.send(post(rig, "/api/x", "gzip", gzip(exact))).statusCode()).isEqualTo(200);
      assertThat(rig.api.takeRequest().getBodySize()).isEqualTo(100_000);

      byte[] over = Arrays.copyOf(exact, 100_001);
      assertThat(rig.send(post(rig, "/api/x", "gzip", gzip(over))).statusCode()).isEqualTo(413);
    }
  }

  @Test
  void aPlainBodyOfUnknownLengthIsHeldToTheLimit() throws Exception {
    try (Rig rig = new Rig(s -> s.maxBodyBytes(100_000))) {
      byte[] big = new byte[300_000];
      var response =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/x"))
                  .POST(
                      HttpRequest.BodyPublishers.ofInputStream(
                          () -> new java.io.ByteArrayInputStream(big))) // chunked: no length
                  .build());
      assertThat(response.statusCode()).isEqualTo(413);
      var small =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/x"))
                  .POST(
                      HttpRequest.BodyPublishers.ofInputStream(
                          () -> new java.io.ByteArrayInputStream(new byte[70_000])))
                  .build());
      assertThat(small.statusCode()).isEqualTo(200);
      assertThat(rig.api.takeRequest().getBodySize()).isEqualTo(70_000);
    }
  }

  @Test
  void anyOtherContentEncodingIs415() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      for (String encoding : new String[] {"br", "zstd", "compress", "gzip, gzip"}) {
        var response = rig.send(post(rig, "/api/chat", encoding, new byte[1000]));
        assertThat(response.statusCode()).as(encoding).isEqualTo(415);
        assertThat(Rig.errorCode(response.body())).isEqualTo("unsupported_content_encoding");
      }
      assertThat(rig.api.getRequestCount()).isZero();
      assertThat(rig.metrics()).contains(Rig.refused("unsupported_encoding"));
    }
  }

  @Test
  void aBodyThatDoesNotDecodeIs400() throws Exception {
    try (Rig rig = new Rig(s -> s)) {
      byte[] truncated = Arrays.copyOf(gzip(JSON.getBytes()), 40);
      for (byte[] body : new byte[][] {"not gzip at all".getBytes(), truncated}) {
        var response = rig.send(post(rig, "/api/chat", "gzip", body));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Rig.errorCode(response.body())).isEqualTo("invalid_body_encoding");
      }
      assertThat(rig.api.getRequestCount()).isZero();
      assertThat(rig.metrics()).contains(Rig.refused("invalid_body_encoding"));
    }
  }

  @Test
  void bodiesPastTheInFlightBudgetAre503WithRetryAfter() throws Exception {
    try (Rig rig = new Rig(s -> s.maxBodyBytes(4096).maxInFlightBodyBytes(4096))) {
      // the api holds the first request (and so its 3000 bytes) until it answers
      rig.apiResponses.add(
          new MockResponse.Builder().headersDelay(2, TimeUnit.SECONDS).body("late").build());
      CompletableFuture<HttpResponse<String>> first =
          rig.http.sendAsync(
              HttpRequest.newBuilder(rig.uri("/api/slow"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3000]))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      rig.api.takeRequest(); // the first body is held by now
      var second =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/fast"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3000]))
                  .build());
      assertThat(second.statusCode()).isEqualTo(503);
      assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(Rig.errorCode(second.body())).isEqualTo("edge_busy");
      assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

      // the first request gave its bytes back
      var third =
          rig.send(
              HttpRequest.newBuilder(rig.uri("/api/fast"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3000]))
                  .build());
      assertThat(third.statusCode()).isEqualTo(200);
      assertThat(rig.metrics()).contains(Rig.refused("in_flight_budget"));
    }
  }
}
