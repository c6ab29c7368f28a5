package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.function.Predicate;

/** Test helpers: calling the router, reading JSON, waiting for spans. */
final class Http {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private Http() {}

  static HttpResponse<String> post(String url, String json) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return Json.MAPPER.readTree(response.body());
  }

  static JsonNode json(String text) throws IOException {
    return Json.MAPPER.readTree(text);
  }

  /** A chat request body for {@code model} (null: none) with one user message. */
  static String chat(String model, String userMessage) {
    return (model == null ? "{" : "{\"model\":\"" + model + "\",")
        + "\"messages\":[{\"role\":\"user\",\"content\":\""
        + userMessage
        + "\"}]}";
  }

  /**
   * The ended spans, once {@code ready} holds for them: a server span ends just after its response
   * is sent, so tests wait for it rather than read at once.
   */
  static List<SpanData> spans(TestTelemetry otel, Predicate<List<SpanData>> ready)
      throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    List<SpanData> spans = otel.spans();
    while (!ready.test(spans) && System.nanoTime() < deadline) {
      Thread.sleep(5);
      spans = otel.spans();
    }
    return spans;
  }

  /** A local port nothing listens on. */
  static int deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
