package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/** Test helpers: calling the router as a signed-in user, reading JSON, waiting for spans. */
final class Http {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  /** The platform's keys for these tests; the router verifies with their public half. */
  static final JwtKeys KEYS = JwtKeys.ephemeral();

  static final TokenVerifier VERIFIER = TokenVerifier.local(KEYS);

  /** An access token of user {@code user-1} with the {@code chat} scope. */
  static final String TOKEN = token("user-1");

  private Http() {}

  static String token(String userId) {
    return new TokenIssuer(KEYS).access(userId, Set.of("chat")).value();
  }

  static HttpResponse<String> post(String url, String json) throws Exception {
    return post(url, json, TOKEN);
  }

  static HttpResponse<String> post(String url, String json, String bearer, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws Exception {
    return get(url, TOKEN);
  }

  static HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
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

  /** The same, streamed, asking for usage. */
  static String streamedChat(String model, String userMessage) {
    return "{\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + chat(model, userMessage).substring(1);
  }

  /**
   * The spans of the trace of the (one) request whose SERVER span is named {@code server}, once
   * that span ended (a server span ends just after its response is sent) and {@code ready} holds.
   */
  static List<SpanData> trace(TestTelemetry otel, String server, Predicate<List<SpanData>> ready) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              SpanData root =
                  otel.spans().stream()
                      .filter(s -> s.getKind() == SpanKind.SERVER && s.getName().equals(server))
                      .reduce((a, b) -> b)
                      .orElse(null);
              if (root == null) {
                return null;
              }
              return otel.spans().stream()
                  .filter(s -> s.getTraceId().equals(root.getTraceId()))
                  .toList();
            },
            spans -> spans != null && ready.test(spans));
  }

  /** The spans of the last chat request's trace. */
  static List<SpanData> chatTrace(TestTelemetry otel) {
    return trace(otel, "POST /v1/chat/completions", s -> true);
  }

  static SpanData named(List<SpanData> spans, String name) {
    return spans.stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans));
  }

  /** A local port nothing listens on. */
  static int deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
