package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.auth.JwtKeys;
import dev.uat.events.Event;
import dev.uat.events.InProcessEventBus;
import dev.uat.telemetry.TestTelemetry;
import dev.uat.web.Json;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The api through its HTTP interface, with a real database and a fake router speaking the OpenAI
 * wire format. Subclasses choose the database: the same tests run on H2 and PostgreSQL.
 */
@Timeout(60)
abstract class AbstractApiTest {
  static final String ROUTER_REPLY =
      """
      {"id":"chatcmpl-1","object":"chat.completion","created":1764000000,"model":"llama3.2:latest",
       "choices":[{"index":0,"message":{"role":"assistant","content":"Hello back"},"finish_reason":"stop"}],
       "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}
      """;

  @TempDir Path dataDir;
  final HttpClient client = HttpClient.newHttpClient();
  final List<Event> events = new CopyOnWriteArrayList<>();
  MockWebServer router;
  TestTelemetry otel;
  InProcessEventBus bus;
  Api api;

  /** The settings' database: H2 by default; PostgreSQL in its subclass. */
  abstract ApiSettings database(ApiSettings settings);

  @BeforeEach
  void start() throws Exception {
    router = new MockWebServer();
    router.start();
    otel = new TestTelemetry("uat-api");
    bus = new InProcessEventBus();
    bus.subscribe(events::add);
    ApiSettings settings =
        database(
            ApiSettings.defaults(dataDir, router.url("/").toString())
                .withPort(0)
                .withBcryptCost(4));
    api = Api.start(settings, otel.telemetry(), bus, JwtKeys.loadOrCreate(dataDir));
  }

  @AfterEach
  void stop() {
    api.close();
    otel.close();
    router.close();
  }

  HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api.url() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  String register(String email) throws Exception {
    var r =
        call(
            "POST",
            "/api/auth/register",
            null,
            "{\"email\":\"" + email + "\",\"password\":\"correct horse\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("access_token").asText();
  }

  void routerAnswers(String body) {
    router.enqueue(
        new MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body(body)
            .build());
  }

  @Test
  void registerThenLoginGivesTokensThatIdentifyTheUser() throws Exception {
    register("Ada@Example.com");
    var login =
        call(
            "POST",
            "/api/auth/login",
            null,
            "{\"email\":\"ada@example.com\",\"password\":\"correct horse\"}");
    assertThat(login.statusCode()).isEqualTo(200);
    JsonNode tokens = json(login);
    assertThat(tokens.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(tokens.get("refresh_token").asText()).isNotBlank();
    var me = call("GET", "/api/me", tokens.get("access_token").asText(), null);
    assertThat(json(me).get("email").asText()).isEqualTo("ada@example.com");
  }

  @Test
  void registeringATakenEmailIsAConflict() throws Exception {
    register("bob@example.com");
    var again =
        call(
            "POST",
            "/api/auth/register",
            null,
            "{\"email\":\"BOB@example.com\",\"password\":\"another one\"}");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(json(again).at("/error/code").asText()).isEqualTo("email_taken");
  }

  @Test
  void badRegistrationsSayWhatIsWrong() throws Exception {
    var badEmail =
        call(
            "POST",
            "/api/auth/register",
            null,
            "{\"email\":\"nope\",\"password\":\"long enough\"}");
    assertThat(badEmail.statusCode()).isEqualTo(400);
    assertThat(json(badEmail).at("/error/message").asText()).contains("email");
    var shortPassword =
        call("POST", "/api/auth/register", null, "{\"email\":\"a@b.co\",\"password\":\"short\"}");
    assertThat(shortPassword.statusCode()).isEqualTo(400);
    assertThat(json(shortPassword).at("/error/message").asText()).contains("password");
    var malformed = call("POST", "/api/auth/register", null, "{\"email\":");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(json(malformed).at("/error/code").asText()).isEqualTo("invalid_json");
    var empty = call("POST", "/api/auth/register", null, "");
    assertThat(empty.statusCode()).isEqualTo(400);
  }

  @Test
  void wrongPasswordAndUnknownEmailGetTheSameAnswer() throws Exception {
    register("carol@example.com");
    var wrong =
        call(
            "POST",
            "/api/auth/login",
            null,
            "{\"email\":\"carol@example.com\",\"password\":\"wrong password\"}");
    var unknown =
        call(
            "POST",
            "/api/auth/login",
            null,
            "{\"email\":\"dave@example.com\",\"password\":\"wrong password\"}");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(json(wrong).at("/error/message")).isEqualTo(json(unknown).at("/error/message"));
  }

  @Test
  void protectedEndpointsNeedAValidToken() throws Exception {
    assertThat(call("GET", "/api/me", null, null).statusCode()).isEqualTo(401);
    var forged = call("GET", "/api/me", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", null);
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(forged.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(call("POST", "/api/chat", "garbage", "{\"message\":\"hi\"}").statusCode())
        .isEqualTo(401);
  }

  @Test
  void chatStoresBothMessagesAsksTheRouterAndAnnouncesTheAnswer() throws Exception {
    String token = register("erin@example.com");
    routerAnswers(ROUTER_REPLY);

    var r = call("POST", "/api/chat", token, "{\"message\":\"Hello there\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = json(r);
    String conversation = body.get("conversation_id").asText();
    assertThat(body.at("/message/content").asText()).isEqualTo("Hello back");
    assertThat(body.at("/message/role").asText()).isEqualTo("assistant");
    assertThat(body.at("/message/model").asText()).isEqualTo("llama3.2:latest");
    assertThat(body.at("/usage/input_tokens").asInt()).isEqualTo(12);
    assertThat(body.at("/usage/output_tokens").asInt()).isEqualTo(3);
    assertThat(body.get("trace_id").asText())
        .isEqualTo(r.headers().firstValue("X-Trace-Id").orElseThrow());

    RecordedRequest upstream = router.takeRequest();
    assertThat(upstream.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(upstream.getHeaders().get("traceparent")).contains(body.get("trace_id").asText());
    assertThat(upstream.getHeaders().get("Authorization")).isEqualTo("Bearer " + token);
    JsonNode sent = Json.MAPPER.readTree(upstream.getBody().utf8());
    assertThat(sent.at("/messages/0/role").asText()).isEqualTo("user");
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Hello there");

    assertThat(events).extracting(Event::channel).containsOnly("conversation:" + conversation);
    assertThat(events)
        .extracting(Event::event)
        .containsExactly("message.created", "message.created");
    assertThat(events.getLast().traceparent()).contains(body.get("trace_id").asText());

    var stored = json(call("GET", "/api/conversations/" + conversation, token, null));
    assertThat(stored.get("messages"))
        .extracting(m -> m.get("role").asText())
        .containsExactly("user", "assistant");
    assertThat(stored.get("title").asText()).isEqualTo("Hello there");
  }

  @Test
  void continuingAConversationSendsItsHistory() throws Exception {
    String token = register("fay@example.com");
    routerAnswers(ROUTER_REPLY);
    String conversation =
        json(call("POST", "/api/chat", token, "{\"message\":\"one\"}"))
            .get("conversation_id")
            .asText();
    router.takeRequest();
    routerAnswers(ROUTER_REPLY);

    var r =
        call(
            "POST",
            "/api/chat",
            token,
            "{\"conversation_id\":\""
                + conversation
                + "\",\"message\":\"two\",\"model\":\"echo\"}");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode sent = Json.MAPPER.readTree(router.takeRequest().getBody().utf8());
    assertThat(sent.get("model").asText()).isEqualTo("echo");
    assertThat(sent.get("messages"))
        .extracting(m -> m.get("content").asText())
        .containsExactly("one", "Hello back", "two");
  }

  @Test
  void anotherUsersConversationIsNotFound() throws Exception {
    String owner = register("gus@example.com");
    String other = register("hal@example.com");
    routerAnswers(ROUTER_REPLY);
    String conversation =
        json(call("POST", "/api/chat", owner, "{\"message\":\"mine\"}"))
            .get("conversation_id")
            .asText();

    assertThat(call("GET", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    assertThat(call("HEAD", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    assertThat(call("DELETE", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    var hijack =
        call(
            "POST",
            "/api/chat",
            other,
            "{\"conversation_id\":\"" + conversation + "\",\"message\":\"x\"}");
    assertThat(hijack.statusCode()).isEqualTo(404);
    assertThat(router.getRequestCount()).isEqualTo(1);

    assertThat(call("HEAD", "/api/conversations/" + conversation, owner, null).statusCode())
        .isEqualTo(204);
    assertThat(json(call("GET", "/api/conversations", other, null)).get("data")).isEmpty();
    assertThat(json(call("GET", "/api/conversations", owner, null)).get("data")).hasSize(1);
    assertThat(call("DELETE", "/api/conversations/" + conversation, owner, null).statusCode())
        .isEqualTo(204);
    assertThat(call("GET", "/api/conversations/" + conversation, owner, null).statusCode())
        .isEqualTo(404);
  }

  @Test
  void routerFailureIs502AndTheUsersMessageIsKept() throws Exception {
    String token = register("ida@example.com");
    router.enqueue(
        new MockResponse.Builder()
            .code(502)
            .addHeader("Content-Type", "application/json")
            .body(
                "{\"error\":{\"code\":\"upstream_error\",\"message\":\"ollama answered 500\",\"type\":\"server_error\"}}")
            .build());

    var r = call("POST", "/api/chat", token, "{\"message\":\"are you there?\"}");

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(json(r).at("/error/message").asText()).isEqualTo("ollama answered 500");
    String conversation =
        json(call("GET", "/api/conversations", token, null)).at("/data/0/id").asText();
    var stored = json(call("GET", "/api/conversations/" + conversation, token, null));
    assertThat(stored.get("messages"))
        .extracting(m -> m.get("content").asText())
        .containsExactly("are you there?");
    SpanData server =
        otel.spans().stream()
            .filter(s -> s.getName().equals("POST /api/chat"))
            .findFirst()
            .orElseThrow();
    assertThat(server.getStatus().getStatusCode())
        .isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
  }

  @Test
  void unknownModelKeepsTheRoutersStatus() throws Exception {
    String token = register("jo@example.com");
    router.enqueue(
        new MockResponse.Builder()
            .code(404)
            .body(
                "{\"error\":{\"code\":\"model_not_found\",\"message\":\"no model 'x'\",\"type\":\"invalid_request_error\"}}")
            .build());
    var r = call("POST", "/api/chat", token, "{\"message\":\"hi\",\"model\":\"x\"}");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).at("/error/code").asText()).isEqualTo("model_not_found");
  }

  @Test
  void unreachableRouterIs503() throws Exception {
    String token = register("kim@example.com");
    router.close();
    var r = call("POST", "/api/chat", token, "{\"message\":\"hi\"}");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).at("/error/code").asText()).isEqualTo("router_unavailable");
  }

  @Test
  void badChatInputIsRejectedBeforeAnythingIsStored() throws Exception {
    String token = register("lee@example.com");
    assertThat(call("POST", "/api/chat", token, "{}").statusCode()).isEqualTo(400);
    assertThat(call("POST", "/api/chat", token, "{\"message\":\"   \"}").statusCode())
        .isEqualTo(400);
    assertThat(call("POST", "/api/chat", token, "{\"message\":42}").statusCode()).isEqualTo(400);
    var tooLong = call("POST", "/api/chat", token, "{\"message\":\"" + "x".repeat(32_001) + "\"}");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(json(tooLong).at("/error/message").asText()).contains("32000");
    var huge = call("POST", "/api/chat", token, "{\"message\":\"" + "x".repeat(300_000) + "\"}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(json(call("GET", "/api/conversations", token, null)).get("data")).isEmpty();
    assertThat(router.getRequestCount()).isZero();
  }

  @Test
  void chatTraceHasTokenCheckDatabaseRouterCallAndPublish() throws Exception {
    String token = register("max@example.com");
    otel.reset();
    routerAnswers(ROUTER_REPLY);

    var r = call("POST", "/api/chat", token, "{\"message\":\"trace me\"}");
    String traceId = json(r).get("trace_id").asText();

    List<SpanData> spans = otel.spans();
    assertThat(spans).allMatch(s -> s.getTraceId().equals(traceId));
    SpanData server =
        spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertThat(server.getName()).isEqualTo("POST /api/chat");
    assertThat(spans)
        .anyMatch(
            s ->
                s.getName().equals("verify token")
                    && s.getParentSpanId().equals(server.getSpanId()));
    assertThat(spans)
        .filteredOn(
            s ->
                s.getKind() == SpanKind.CLIENT
                    && s.getAttributes().asMap().keySet().stream()
                        .anyMatch(k -> k.getKey().startsWith("db.")))
        .isNotEmpty()
        .allSatisfy(
            s ->
                assertThat(s.getAttributes().asMap().keySet())
                    .extracting(k -> k.getKey())
                    .contains("db.system.name", "db.query.text"))
        .noneMatch(s -> String.valueOf(s.getAttributes().asMap()).contains("trace me"));
    assertThat(spans).anyMatch(s -> s.getKind() == SpanKind.CLIENT && s.getName().equals("POST"));
    assertThat(spans).filteredOn(s -> s.getKind() == SpanKind.PRODUCER).hasSize(2);
  }
}
