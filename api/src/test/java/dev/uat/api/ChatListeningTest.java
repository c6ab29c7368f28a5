package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import dev.uat.events.InProcessEventBus;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * The chat asks the router to stream only when someone reads the answer as it is written: the
 * caller ({@code stream: true}) or a subscriber of the conversation's channel, as the bus tells
 * ({@code EventBus.listened}). Here the test's subscriber listens to the channels in {@link
 * #listened}, like realtime with its connections' channels.
 */
class ChatListeningTest extends ApiFixture {
  private final Set<String> listened = ConcurrentHashMap.newKeySet();

  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }

  @Override
  void subscribe(InProcessEventBus bus) {
    bus.subscribe(events::add, listened::contains);
  }

  @Test
  void chatThatNobodyListensToAsksTheRouterForTheWholeAnswer() throws Exception {
    String token = register("ada@example.com");
    routerAnswersWhole("llama3.2:latest", "Hello back", 12, 2);

    JsonNode body = json(chat(token, null, "hello"));

    assertThat(body.at("/message/content").asText()).isEqualTo("Hello back");
    assertThat(body.at("/message/model").asText()).isEqualTo("llama3.2:latest");
    assertThat(body.at("/usage/input_tokens").asInt()).isEqualTo(12);
    assertThat(body.at("/usage/output_tokens").asInt()).isEqualTo(2);
    JsonNode sent = sent(router.takeRequest());
    assertThat(sent.get("stream").asBoolean()).isFalse();
    assertThat(sent.has("stream_options")).isFalse();
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("hello");
    assertThat(events)
        .extracting(Event::event)
        .containsExactly("message.created", "message.created");
    assertStored(token, body.get("conversation_id").asText(), "hello", "Hello back");
  }

  @Test
  void chatThatAChannelSubscriberListensToStreamsDeltasAndStoresTheSameAnswer() throws Exception {
    String token = register("ada@example.com");
    routerAnswersWhole("llama3.2:latest", "Hello back", 12, 2);
    String conversation = json(chat(token, null, "hello")).get("conversation_id").asText();
    listened.add("conversation:" + conversation);
    events.clear();
    routerStreams("llama3.2:latest", "Hello", " back");

    JsonNode body = json(chat(token, conversation, "again"));

    assertThat(sent(router.takeRequest()).get("stream").asBoolean()).isFalse();
    JsonNode sent = sent(router.takeRequest());
    assertThat(sent.get("stream").asBoolean()).isTrue();
    assertThat(sent.at("/messages/1/content").asText()).isEqualTo("Hello back"); // history
    assertThat(body.at("/message/content").asText()).isEqualTo("Hello back");
    assertThat(events)
        .extracting(Event::event)
        .containsExactly("message.created", "message.delta", "message.delta", "message.created");
    assertStored(token, conversation, "hello", "Hello back", "again", "Hello back");
  }

  @Test
  void streamingCallerGetsDeltasWhenNobodyElseListens() throws Exception {
    String token = register("ada@example.com");
    routerStreams("llama3.2:latest", "Hello", " back");

    var r = call("POST", "/api/chat", token, "{\"message\":\"hello\",\"stream\":true}");

    assertThat(sent(router.takeRequest()).get("stream").asBoolean()).isTrue();
    assertThat(sseEvents(r.body()))
        .extracting(Sse.Event::name)
        .containsExactly("message", "delta", "delta", "done");
  }

  @Test
  void bothWaysPublishTheSameAnswer() throws Exception {
    String token = register("ada@example.com");
    routerAnswersWhole("llama3.2:latest", "Hello back", 12, 2);
    String whole = json(chat(token, null, "hello")).get("conversation_id").asText();
    JsonNode wholeCreated = lastCreated();
    routerStreams("llama3.2:latest", "Hello", " back");
    listened.add("conversation:" + whole);
    chat(token, whole, "hello");
    JsonNode streamedCreated = lastCreated();

    for (String field : List.of("role", "content", "model", "input_tokens", "output_tokens")) {
      assertThat(streamedCreated.at("/message/" + field))
          .as(field)
          .isEqualTo(wholeCreated.at("/message/" + field));
    }
  }

  @Test
  void routerErrorWithoutStreamingKeepsItsCodeAndStatus() throws Exception {
    String token = register("ada@example.com");
    routerFails(404, "model_not_found", "no model 'nope'");

    var r = call("POST", "/api/chat", token, "{\"message\":\"hi\",\"model\":\"nope\"}");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).at("/error/code").asText()).isEqualTo("model_not_found");
    assertThat(sent(router.takeRequest()).get("stream").asBoolean()).isFalse();
  }

  @Test
  void answerThatIsNotAChatCompletionIs502() throws Exception {
    String token = register("ada@example.com");
    router.enqueue(
        new mockwebserver3.MockResponse.Builder()
            .code(200)
            .addHeader("Content-Type", "application/json")
            .body("{\"choices\":[]}")
            .build());

    var r = call("POST", "/api/chat", token, "{\"message\":\"hi\"}");

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(json(r).at("/error/code").asText()).isEqualTo("router_error");
  }

  private JsonNode lastCreated() {
    Event e = events.getLast();
    assertThat(e.event()).isEqualTo("message.created");
    return Json.MAPPER.valueToTree(e.data());
  }

  private static JsonNode sent(RecordedRequest r) throws Exception {
    return Json.MAPPER.readTree(r.getBody().utf8());
  }

  private void assertStored(String token, String conversation, String... contents)
      throws Exception {
    JsonNode c = json(call("GET", "/api/conversations/" + conversation, token, null));
    assertThat(c.get("messages"))
        .extracting(m -> m.get("content").asText())
        .containsExactly(contents);
  }
}
