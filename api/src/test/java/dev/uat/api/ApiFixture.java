package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.Revocation;
import dev.uat.events.Event;
import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The api through its HTTP interface, with a real database and a fake router that replays the
 * OpenAI wire format (streaming chunks, as the router sends them). Subclasses choose the database:
 * every suite runs on H2 and on PostgreSQL.
 */
@Timeout(60)
abstract class ApiFixture {
  static final String PASSWORD = "correct horse";

  @TempDir Path dataDir;
  final HttpClient client = HttpClient.newHttpClient();
  final List<Event> events = new CopyOnWriteArrayList<>();
  MockWebServer router;
  TestTelemetry otel;
  InProcessEventBus bus;
  Api api;

  /** The settings' database: H2 by default; PostgreSQL in the Postgres subclasses. */
  abstract ApiSettings database(ApiSettings settings);

  /** Rate limits for this suite; generous unless a test class needs them tight. */
  ApiSettings.Limits limits() {
    return ApiSettings.Limits.defaults();
  }

  @BeforeEach
  void start() throws Exception {
    router = new MockWebServer();
    router.start();
    otel = new TestTelemetry("uat-api");
    bus = new InProcessEventBus();
    subscribe(bus);
    ApiSettings settings =
        database(
            ApiSettings.defaults(dataDir, router.url("/").toString()).toBuilder()
                .port(0)
                .bcryptCost(4)
                .limits(limits())
                .build());
    api = Api.start(settings, otel.telemetry(), bus, JwtKeys.loadOrCreate(dataDir));
  }

  /**
   * Subscribes the test to every event of {@code bus} ({@link #events}); as a subscriber that says
   * nothing of what it listens to, it makes every channel listened to, so chats stream.
   */
  void subscribe(InProcessEventBus bus) {
    bus.subscribe(events::add);
  }

  @AfterEach
  void stop() {
    api.close();
    otel.close();
    router.close();
  }

  HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    return callFrom(null, method, path, token, body);
  }

  /**
   * A call as forwarded by a trusted proxy (the test talks from loopback, which the api trusts by
   * default) for a client at {@code address}; null: the peer itself.
   */
  HttpResponse<String> callFrom(
      String address, String method, String path, String token, String body) throws Exception {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api.url() + path)).method(method, publisher);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (address != null) {
      b.header("X-Forwarded-For", address);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The api's {@code /metrics} in the Prometheus text format. */
  String metrics() throws Exception {
    return call("GET", "/metrics", null, null).body();
  }

  /** The revocations announced on the bus so far. */
  List<Revocation> revocations() {
    return events.stream().flatMap(e -> Revocation.fromEvent(e).stream()).toList();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  /** Registers an account; returns its access token. */
  String register(String email) throws Exception {
    return registered(email).get("access_token").asText();
  }

  /** Registers an account; returns the whole answer (user, tokens, session). */
  JsonNode registered(String email) throws Exception {
    return succeeded(tryRegister(email, PASSWORD), 201);
  }

  /** Logs in with the fixture's password; returns the answer (user, tokens, session). */
  JsonNode login(String email) throws Exception {
    return succeeded(tryLogin(email, PASSWORD), 200);
  }

  HttpResponse<String> tryRegister(String email, String password) throws Exception {
    return call("POST", "/api/auth/register", null, credentials(email, password));
  }

  HttpResponse<String> tryLogin(String email, String password) throws Exception {
    return call("POST", "/api/auth/login", null, credentials(email, password));
  }

  /** The body of a registration or a login. */
  static String credentials(String email, String password) {
    return "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}";
  }

  HttpResponse<String> refresh(String refreshToken) throws Exception {
    return call("POST", "/api/auth/refresh", null, "{\"refresh_token\":\"" + refreshToken + "\"}");
  }

  /** Asks {@code message} in {@code conversation} (null: a new one). */
  HttpResponse<String> chat(String token, String conversation, String message) throws Exception {
    Map<String, String> body = new LinkedHashMap<>();
    if (conversation != null) {
      body.put("conversation_id", conversation);
    }
    body.put("message", message);
    return call("POST", "/api/chat", token, Json.writeString(body));
  }

  /** Starts a conversation with {@code message} (the router must have an answer queued). */
  String newConversation(String token, String message) throws Exception {
    return succeeded(chat(token, null, message), 200).get("conversation_id").asText();
  }

  private static JsonNode succeeded(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return json(r);
  }

  /** The router answers the next chat with {@code parts}, streamed as OpenAI streams. */
  void routerStreams(String model, String... parts) {
    router.enqueue(eventStream(sse(model, 12, parts)).build());
  }

  void routerAnswers() {
    routerStreams("llama3.2:latest", "Hello", " back");
  }

  /**
   * The router answers the next chat with {@code content} in one piece, as OpenAI answers {@code
   * "stream": false}.
   */
  void routerAnswersWhole(String model, String content, int promptTokens, int completionTokens) {
    router.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764000000,"
                    + "\"model\":"
                    + Json.writeString(model)
                    + ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":"
                    + Json.writeString(content)
                    + "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
                    + promptTokens
                    + ",\"completion_tokens\":"
                    + completionTokens
                    + ",\"total_tokens\":"
                    + (promptTokens + completionTokens)
                    + "}}")
            .build());
  }

  /** The router refuses the next chat with {@code status} and its OpenAI-style error. */
  void routerFails(int status, String code, String message) {
    router.enqueue(
        new MockResponse.Builder()
            .code(status)
            .addHeader("Content-Type", "application/json")
            .body(Json.writeString(Map.of("error", Map.of("code", code, "message", message))))
            .build());
  }

  /** A 200 answer of the router carrying the event stream {@code body}. */
  static MockResponse.Builder eventStream(String body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "text/event-stream")
        .body(body);
  }

  /** The events of a Server-Sent Events body, read as a client reads them. */
  static List<Sse.Event> sseEvents(String body) throws IOException {
    BufferedReader lines = new BufferedReader(new StringReader(body));
    Sse.Reader reader = new Sse.Reader(lines::readLine);
    List<Sse.Event> out = new ArrayList<>();
    for (Sse.Event e; (e = reader.next()) != null; ) {
      out.add(e);
    }
    return out;
  }

  /** An OpenAI chat completion stream with usage (stream_options.include_usage). */
  static String sse(String model, int promptTokens, String... parts) {
    StringBuilder b = new StringBuilder();
    String head =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\""
            + model
            + "\",";
    b.append("data: ")
        .append(head)
        .append(
            "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    for (String p : parts) {
      b.append("data: ")
          .append(head)
          .append("\"choices\":[{\"index\":0,\"delta\":{\"content\":")
          .append(Json.writeString(p))
          .append("},\"finish_reason\":null}]}\n\n");
    }
    b.append("data: ")
        .append(head)
        .append("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    b.append("data: ")
        .append(head)
        .append("\"choices\":[],\"usage\":{\"prompt_tokens\":")
        .append(promptTokens)
        .append(",\"completion_tokens\":")
        .append(parts.length)
        .append(",\"total_tokens\":")
        .append(promptTokens + parts.length)
        .append("}}\n\n");
    b.append("data: [DONE]\n\n");
    return b.toString();
  }
}
