package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Accounts basics, conversations and the chat flow; runs on H2 and PostgreSQL. */
abstract class AbstractApiTest extends ApiFixture {
  @Test
  void registerThenLoginGivesTokensThatIdentifyTheUser() throws Exception {
    register("Ada@Example.com");
    var login = tryLogin("ada@example.com", "correct horse");
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
    var again = tryRegister("BOB@example.com", "another one");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(json(again).at("/error/code").asText()).isEqualTo("email_taken");
  }

  @Test
  void badRegistrationsSayWhatIsWrong() throws Exception {
    var badEmail = tryRegister("nope", "long enough");
    assertThat(badEmail.statusCode()).isEqualTo(400);
    assertThat(json(badEmail).at("/error/message").asText()).contains("email");
    var shortPassword = tryRegister("a@b.co", "short");
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
    var wrong = tryLogin("carol@example.com", "wrong password");
    var unknown = tryLogin("dave@example.com", "wrong password");
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
    long startedMillis = System.currentTimeMillis();
    String token = register("erin@example.com");
    routerAnswers();

    var r = call("POST", "/api/chat", token, "{\"message\":\"Hello there\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = json(r);
    String conversation = body.get("conversation_id").asText();
    assertThat(body.at("/message/content").asText()).isEqualTo("Hello back");
    assertThat(body.at("/message/role").asText()).isEqualTo("assistant");
    assertThat(body.at("/message/model").asText()).isEqualTo("llama3.2:latest");
    assertThat(body.at("/usage/input_tokens").asInt()).isEqualTo(12);
    assertThat(body.at("/usage/output_tokens").asInt()).isEqualTo(2);
    assertThat(body.get("trace_id").asText())
        .isEqualTo(r.headers().firstValue("X-Trace-Id").orElseThrow());

    RecordedRequest upstream = router.takeRequest();
    assertThat(upstream.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(upstream.getHeaders().get("traceparent")).contains(body.get("trace_id").asText());
    assertThat(upstream.getHeaders().get("Authorization")).isEqualTo("Bearer " + token);
    JsonNode sent = Json.MAPPER.readTree(upstream.getBody().utf8());
    assertThat(sent.get("stream").asBoolean()).isTrue();
    assertThat(sent.at("/stream_options/include_usage").asBoolean()).isTrue();
    assertThat(sent.at("/messages/0/role").asText()).isEqualTo("user");
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Hello there");

    assertThat(events).extracting(Event::channel).containsOnly("conversation:" + conversation);
    assertThat(events)
        .extracting(Event::event)
        .containsExactly("message.created", "message.delta", "message.delta", "message.created");
    assertThat(events.get(1).data().toString()).contains("Hello");
    assertThat(events.get(1).traceparent()).contains(body.get("trace_id").asText());
    assertThat(events.getLast().traceparent()).contains(body.get("trace_id").asText());

    var stored = json(call("GET", "/api/conversations/" + conversation, token, null));
    assertThat(stored.get("messages"))
        .extracting(m -> m.get("role").asText())
        .containsExactly("user", "assistant");
    assertThat(stored.get("title").asText()).isEqualTo("Hello there");

    // the conversation's and the messages' ids are time-ordered (UUID version 7, IETF variant):
    // each new row's key goes to the right-hand edge of the indexes (Store.newTimeOrderedId)
    List<String> ids = new ArrayList<>(List.of(conversation));
    stored.get("messages").forEach(m -> ids.add(m.get("id").asText()));
    for (String id : ids) {
      UUID uuid = UUID.fromString(id);
      assertThat(uuid.version()).as(id).isEqualTo(7);
      assertThat(uuid.variant()).as(id).isEqualTo(2);
      assertThat(uuid.getMostSignificantBits() >>> 16)
          .as("%s: milliseconds of its making", id)
          .isBetween(startedMillis, System.currentTimeMillis());
    }
    routerAnswers();
    Thread.sleep(2); // a later millisecond
    String later = newConversation(token, "later");
    assertThat(later).isGreaterThan(conversation);
  }

  @Test
  void continuingAConversationSendsItsHistory() throws Exception {
    String token = register("fay@example.com");
    routerAnswers();
    String conversation = newConversation(token, "one");
    router.takeRequest();
    routerAnswers();

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
    routerAnswers();
    String conversation = newConversation(owner, "mine");

    assertThat(call("GET", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    assertThat(call("HEAD", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    assertThat(call("DELETE", "/api/conversations/" + conversation, other, null).statusCode())
        .isEqualTo(404);
    var hijack = chat(other, conversation, "x");
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
    chatTheRouterFails(
        token, "{\"message\":\"are you there?\"}", 502, "upstream_error", "ollama answered 500");

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
    chatTheRouterFails(
        register("jo@example.com"),
        "{\"message\":\"hi\",\"model\":\"x\"}",
        404,
        "model_not_found",
        "no model 'x'");
  }

  /** A chat the router refuses: the caller gets the router's status, code and message. */
  private void chatTheRouterFails(
      String token, String body, int status, String code, String message) throws Exception {
    routerFails(status, code, message);
    var r = call("POST", "/api/chat", token, body);
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(json(r).at("/error/code").asText()).isEqualTo(code);
    assertThat(json(r).at("/error/message").asText()).isEqualTo(message);
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
    assertThat(metrics()).contains("uat_api_limit_hits_total{uat_api_limit=\"message_chars\"}");
    var huge = call("POST", "/api/chat", token, "{\"message\":\"" + "x".repeat(300_000) + "\"}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(json(call("GET", "/api/conversations", token, null)).get("data")).isEmpty();
    assertThat(router.getRequestCount()).isZero();
  }

  @Test
  void chatTraceHasTokenCheckDatabaseRouterCallAndPublish() throws Exception {
    String token = register("max@example.com");
    otel.reset();
    routerAnswers();

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

  @Test
  void streamingChatRelaysTokensAsServerSentEventsAndStoresTheAnswerOnce() throws Exception {
    String token = register("sse@example.com");
    routerStreams("llama3.2:latest", "One", ", two", ", three");

    var r = call("POST", "/api/chat", token, "{\"message\":\"count\",\"stream\":true}");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/event-stream");
    List<Sse.Event> sse = sseEvents(r.body());
    assertThat(sse)
        .extracting(Sse.Event::name)
        .containsExactly("message", "delta", "delta", "delta", "done");
    assertThat(Json.MAPPER.readTree(sse.get(0).data()).at("/message/content").asText())
        .isEqualTo("count");
    assertThat(Json.MAPPER.readTree(sse.get(2).data()).get("delta").asText()).isEqualTo(", two");
    JsonNode done = Json.MAPPER.readTree(sse.get(4).data());
    assertThat(done.at("/message/content").asText()).isEqualTo("One, two, three");
    String messageId = done.at("/message/id").asText();
    assertThat(Json.MAPPER.readTree(sse.get(1).data()).get("message_id").asText())
        .isEqualTo(messageId);

    var stored =
        json(
            call("GET", "/api/conversations/" + done.get("conversation_id").asText(), token, null));
    assertThat(stored.get("messages"))
        .extracting(m -> m.get("role").asText())
        .containsExactly("user", "assistant");
    assertThat(stored.at("/messages/1/id").asText()).isEqualTo(messageId);
  }

  @Test
  void answerIsStoredOnceWhenTheStreamingClientGoesAwayMidStream() throws Exception {
    String token = register("gone@example.com");
    // the router streams slowly: 64 bytes every 50 ms, the whole answer takes a couple of seconds
    router.enqueue(
        eventStream(sse("llama3.2:latest", 5, "a", "b", "c", "d", "e", "f", "g", "h"))
            .throttleBody(64, 50, TimeUnit.MILLISECONDS)
            .build());
    var request =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url() + "/api/chat"))
            .header("Authorization", "Bearer " + token)
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"message\":\"slow\",\"stream\":true}"))
            .build();
    var response = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    String conversation;
    try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(response.body()))) {
      assertThat(reader.readLine()).isEqualTo("event: message");
      conversation =
          Json.MAPPER.readTree(reader.readLine().substring(6)).get("conversation_id").asText();
    } // the client hangs up here, long before the answer is complete

    Callable<Integer> stored =
        () ->
            json(call("GET", "/api/conversations/" + conversation, token, null))
                .get("messages")
                .size();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(stored, n -> n == 2);
    // and it stays at one answer
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(stored, n -> n == 2);
    JsonNode messages =
        json(call("GET", "/api/conversations/" + conversation, token, null)).get("messages");
    assertThat(messages).hasSize(2);
    assertThat(messages.get(1).get("content").asText()).isEqualTo("abcdefgh");
    assertThat(events.stream().filter(e -> e.event().equals("message.created"))).hasSize(2);
  }

  @Test
  void streamThatBreaksOffIs502AndNothingHalfIsStored() throws Exception {
    String token = register("broken@example.com");
    String whole = sse("m", 1, "never", " finished");
    router.enqueue(
        eventStream(
                whole
                    .substring(0, whole.indexOf("data: [DONE]"))
                    .replace("\"finish_reason\":\"stop\"", "\"finish_reason\":null"))
            .build());
    var r = call("POST", "/api/chat", token, "{\"message\":\"hello?\"}");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(json(r).at("/error/code").asText()).isEqualTo("stream_interrupted");
    String conversation =
        json(call("GET", "/api/conversations", token, null)).at("/data/0/id").asText();
    assertThat(json(call("GET", "/api/conversations/" + conversation, token, null)).get("messages"))
        .extracting(m -> m.get("role").asText())
        .containsExactly("user");
  }

  @Test
  void conversationsArePagedWithACursor() throws Exception {
    String token = register("pages@example.com");
    for (int i = 0; i < 5; i++) {
      assertThat(
              call("POST", "/api/conversations", token, "{\"title\":\"c" + i + "\"}").statusCode())
          .isEqualTo(201);
    }
    java.util.List<String> seen = new java.util.ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page =
          json(
              call(
                  "GET",
                  "/api/conversations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
                  token,
                  null));
      page.get("data").forEach(c -> seen.add(c.get("title").asText()));
      cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactly("c4", "c3", "c2", "c1", "c0");
    assertThat(call("GET", "/api/conversations?cursor=garbage", token, null).statusCode())
        .isEqualTo(400);
    assertThat(call("GET", "/api/conversations?limit=0", token, null).statusCode()).isEqualTo(400);
    assertThat(call("GET", "/api/conversations?limit=101", token, null).statusCode())
        .isEqualTo(400);
  }

  @Test
  void conversationsAreRenamedByTheirOwnerOnly() throws Exception {
    String owner = register("ren@example.com");
    String other = register("ren2@example.com");
    String id =
        json(call("POST", "/api/conversations", owner, "{\"title\":\"old\"}")).get("id").asText();
    assertThat(
            call("PATCH", "/api/conversations/" + id, other, "{\"title\":\"stolen\"}").statusCode())
        .isEqualTo(404);
    assertThat(call("PATCH", "/api/conversations/" + id, owner, "{\"title\":\"\"}").statusCode())
        .isEqualTo(400);
    var renamed = call("PATCH", "/api/conversations/" + id, owner, "{\"title\":\"new\"}");
    assertThat(json(renamed).get("title").asText()).isEqualTo("new");
  }

  @Test
  void routerChunkWhoseDataSpansSeveralLinesIsReadWhole() throws Exception {
    String token = register("lines@example.com");
    // the event-stream standard joins an event's data: lines with a line break (valid in JSON)
    String split = sse("m", 3, "split", " answer").replace("\"choices\"", "\ndata: \"choices\"");
    assertThat(split).contains(",\ndata: \"choices\"");
    router.enqueue(eventStream(split).build());

    var r = chat(token, null, "lines?");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).at("/message/content").asText()).isEqualTo("split answer");
    assertThat(json(r).at("/usage/input_tokens").asInt()).isEqualTo(3);
  }
}
