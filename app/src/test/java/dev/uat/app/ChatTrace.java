package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import dev.uat.web.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The chat scenario of the foundation issue, through the edge of a running platform: register, log
 * in, subscribe over the WebSocket, chat, receive the event, then read the trace back from the
 * observatory.
 */
final class ChatTrace {
  private final HttpClient http = HttpClient.newHttpClient();
  private final String edge;
  private final String observatory;

  ChatTrace(String edgeUrl, String observatoryUrl) {
    this.edge = edgeUrl;
    this.observatory = observatoryUrl;
  }

  HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    return send(http, method, edge + path, token, body);
  }

  /** One call with an optional bearer token and body; 30 s at most. */
  static HttpResponse<String> send(
      HttpClient http, String method, String url, String token, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  /** Runs the scenario; returns the chat's trace as the observatory serves it. */
  JsonNode run(String email) throws Exception {
    var registered =
        call(
            "POST",
            "/api/auth/register",
            null,
            "{\"email\":\"" + email + "\",\"password\":\"a long password\"}");
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
    var login =
        call(
            "POST",
            "/api/auth/login",
            null,
            "{\"email\":\"" + email + "\",\"password\":\"a long password\"}");
    assertThat(login.statusCode()).isEqualTo(200);
    String token = json(login).get("access_token").asText();

    var created = call("POST", "/api/conversations", token, "{\"title\":\"e2e\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    String conversation = json(created).get("id").asText();

    try (WsClient ws = WsClient.open(edge.replaceFirst("^http", "ws") + "/ws")) {
      ws.send("{\"type\":\"connect\",\"token\":\"" + token + "\"}");
      assertThat(ws.next("connected").get("user_id").asText())
          .isEqualTo(json(registered).at("/user/id").asText());
      ws.send("{\"type\":\"subscribe\",\"channel\":\"conversation:" + conversation + "\"}");
      assertThat(ws.next("subscribed").get("channel").asText())
          .isEqualTo("conversation:" + conversation);

      var chat =
          call(
              "POST",
              "/api/chat",
              token,
              "{\"conversation_id\":\"" + conversation + "\",\"message\":\"Hello, platform\"}");
      assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
      JsonNode answer = json(chat);
      String traceId = answer.get("trace_id").asText();
      assertThat(chat.headers().firstValue("X-Trace-Id")).hasValue(traceId);
      assertThat(chat.headers().firstValue("traceresponse").orElseThrow())
          .startsWith("00-" + traceId + "-");
      assertThat(answer.at("/message/content").asText())
          .contains("echo provider")
          .contains("Hello, platform");
      assertThat(answer.at("/usage/output_tokens").asInt()).isPositive();

      JsonNode event;
      do {
        event = ws.next("event");
      } while (!event.at("/data/message/role").asText().equals("assistant"));
      assertThat(event.get("event").asText()).isEqualTo("message.created");
      assertThat(event.at("/data/message/content").asText())
          .isEqualTo(answer.at("/message/content").asText());
      assertThat(event.get("traceparent").asText()).startsWith("00-" + traceId + "-");

      return awaitTrace(traceId);
    }
  }

  /** Polls the observatory until the trace holds the realtime delivery and the GenAI call. */
  JsonNode awaitTrace(String traceId) {
    return await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              var r =
                  http.send(
                      HttpRequest.newBuilder(URI.create(observatory + "/api/traces/" + traceId))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 ? json(r).at("/data/0") : null;
            },
            t ->
                t != null
                    && services(t)
                        .containsAll(Set.of("uat-edge", "uat-api", "uat-router", "uat-realtime"))
                    && spanCount(t, "chat echo") == 1
                    && deliveriesOfCreatedMessages(t) == 2
                    && complete(t));
  }

  /** Whether every span's parent is in the trace (the root, last to end, has arrived). */
  static boolean complete(JsonNode trace) {
    Set<String> ids = new HashSet<>();
    trace.get("spans").forEach(s -> ids.add(s.get("spanID").asText()));
    for (JsonNode s : trace.get("spans")) {
      JsonNode refs = s.get("references");
      if (!refs.isEmpty() && !ids.contains(refs.get(0).get("spanID").asText())) {
        return false;
      }
    }
    return true;
  }

  /**
   * CONSUMER spans of the two {@code message.created} events: children of PRODUCER spans (streamed
   * {@code message.delta} events carry the request's context without a PRODUCER span).
   */
  static long deliveriesOfCreatedMessages(JsonNode trace) {
    Map<String, String> names = new HashMap<>();
    trace
        .get("spans")
        .forEach(s -> names.put(s.get("spanID").asText(), s.get("operationName").asText()));
    long n = 0;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals("process conversation:{id}")
          && !s.get("references").isEmpty()
          && "send conversation:{id}".equals(names.get(s.at("/references/0/spanID").asText()))) {
        n++;
      }
    }
    return n;
  }

  static Set<String> services(JsonNode trace) {
    Set<String> names = new HashSet<>();
    trace.get("processes").forEach(p -> names.add(p.get("serviceName").asText()));
    return names;
  }

  static long spanCount(JsonNode trace, String name) {
    long n = 0;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals(name)) {
        n++;
      }
    }
    return n;
  }

  /** The trace's assertions: one tree across every service, with the spans the design names. */
  static void assertTree(JsonNode trace) {
    Map<String, JsonNode> byId = new HashMap<>();
    trace.get("spans").forEach(s -> byId.put(s.get("spanID").asText(), s));
    int roots = 0;
    for (JsonNode s : trace.get("spans")) {
      assertThat(s.get("traceID").asText()).isEqualTo(trace.get("traceID").asText());
      JsonNode refs = s.get("references");
      if (refs.isEmpty()) {
        roots++;
        assertThat(service(trace, s)).isEqualTo("uat-edge");
      } else {
        assertThat(byId)
            .as("parent of %s", s.get("operationName"))
            .containsKey(refs.get(0).get("spanID").asText());
      }
    }
    assertThat(roots).isEqualTo(1);

    JsonNode genai = only(trace, "chat echo");
    assertThat(service(trace, genai)).isEqualTo("uat-router");
    assertThat(tag(genai, "span.kind")).isEqualTo("client");
    assertThat(tag(genai, "gen_ai.operation.name")).isEqualTo("chat");
    assertThat(tag(genai, "gen_ai.provider.name")).isEqualTo("echo");
    assertThat(tag(genai, "gen_ai.request.model")).isEqualTo("echo");
    assertThat(tag(genai, "gen_ai.response.model")).isEqualTo("echo");
    assertThat(Integer.parseInt(tag(genai, "gen_ai.usage.input_tokens"))).isPositive();
    assertThat(Integer.parseInt(tag(genai, "gen_ai.usage.output_tokens"))).isPositive();
    assertThat(tag(genai, "gen_ai.response.finish_reasons")).contains("stop");
    assertThat(service(trace, parent(trace, genai))).isEqualTo("uat-router");
    assertThat(parent(trace, genai).get("operationName").asText())
        .isEqualTo("POST /v1/chat/completions");

    JsonNode apiServer = only(trace, "POST /api/chat");
    assertThat(service(trace, apiServer)).isEqualTo("uat-api");
    assertThat(service(trace, parent(trace, parent(trace, apiServer)))).isEqualTo("uat-edge");

    boolean db = false;
    for (JsonNode s : trace.get("spans")) {
      if (tag(s, "db.system.name") != null) {
        db = true;
        assertThat(tag(s, "db.query.text")).doesNotContain("Hello, platform");
      }
    }
    assertThat(db).as("a database span").isTrue();
    assertThat(spanCount(trace, "verify token")).isGreaterThanOrEqualTo(1);

    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals("process conversation:{id}")) {
        assertThat(service(trace, s)).isEqualTo("uat-realtime");
        assertThat(tag(s, "span.kind")).isEqualTo("consumer");
        JsonNode parent = parent(trace, s);
        assertThat(service(trace, parent)).isEqualTo("uat-api");
        if (parent.get("operationName").asText().equals("send conversation:{id}")) {
          assertThat(tag(parent, "span.kind")).isEqualTo("producer");
        } else { // a streamed delta: in the chat request's own span
          assertThat(parent.get("operationName").asText()).isEqualTo("POST /api/chat");
        }
      }
    }
    assertThat(deliveriesOfCreatedMessages(trace)).isEqualTo(2);
  }

  private static JsonNode only(JsonNode trace, String name) {
    JsonNode found = null;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("operationName").asText().equals(name)) {
        assertThat(found).as("one span named %s", name).isNull();
        found = s;
      }
    }
    assertThat(found).as("a span named %s", name).isNotNull();
    return found;
  }

  private static JsonNode parent(JsonNode trace, JsonNode span) {
    String id = span.get("references").get(0).get("spanID").asText();
    for (JsonNode s : trace.get("spans")) {
      if (s.get("spanID").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no parent " + id);
  }

  static String service(JsonNode trace, JsonNode span) {
    return trace.at("/processes/" + span.get("processID").asText() + "/serviceName").asText();
  }

  static String tag(JsonNode span, String key) {
    for (JsonNode t : span.get("tags")) {
      if (t.get("key").asText().equals(key)) {
        return t.get("value").asText();
      }
    }
    return null;
  }
}
