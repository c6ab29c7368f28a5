package dev.uat.app;

import static dev.uat.app.ChatTrace.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Closer;
import dev.uat.web.WsClient;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/**
 * The components started alone on a real Redis, as {@code uat serve <component> --redis-url …}
 * starts them, with the api also told where realtime is ({@code --realtime-url}); then Redis stops
 * (docs/reliability.md §4): chats are still answered, and the answer still reaches the browser
 * subscribed on that realtime instance, unnumbered.
 */
@Timeout(120)
class DistributedRedisOutageTest {
  @TempDir static Path data;
  static final Closer open = new Closer();
  static RedisServer redis;
  static String edgeUrl;
  static String realtimeUrl;

  @BeforeAll
  static void serve() throws Exception {
    int port = FreePorts.pick();
    redis =
        RedisServer.newRedisServer()
            .port(port)
            .bind("127.0.0.1")
            .setting("save \"\"")
            .setting("appendonly no")
            .build();
    redis.start();
    Map<String, String> flags = TestSettings.separate(data);
    flags.put("redis-url", "redis://127.0.0.1:" + port);
    Config config = Config.load(null, Map.of(), flags);
    Uat.Serve.start(Wiring.Component.OBSERVATORY, config, open);
    Uat.Serve.start(Wiring.Component.ROUTER, config, open);
    Uat.Serve.start(Wiring.Component.API, config, open);
    realtimeUrl = Uat.Serve.start(Wiring.Component.REALTIME, config, open).url();
    edgeUrl = Uat.Serve.start(Wiring.Component.EDGE, config, open).url();
  }

  @AfterAll
  static void stop() throws Exception {
    open.close();
    if (redis != null) {
      redis.stop();
    }
  }

  @Test
  void whileRedisIsDownChatsAreAnsweredAndStreamedToTheInstancesOwnSubscribers() throws Exception {
    ChatTrace edge = new ChatTrace(edgeUrl, null);
    String body = "{\"email\":\"ida@example.com\",\"password\":\"a long password\"}";
    assertThat(edge.call("POST", "/api/auth/register", null, body).statusCode()).isEqualTo(201);
    String token =
        json(edge.call("POST", "/api/auth/login", null, body)).get("access_token").asText();
    String conversation =
        json(edge.call("POST", "/api/conversations", token, "{\"title\":\"outage\"}"))
            .get("id")
            .asText();

    try (WsClient ws = WsClient.open(edgeUrl.replaceFirst("^http", "ws") + "/ws")) {
      ws.send("{\"type\":\"connect\",\"token\":\"" + token + "\"}");
      ws.next("connected");
      ws.send("{\"type\":\"subscribe\",\"channel\":\"conversation:" + conversation + "\"}");
      ws.next("subscribed");

      // with Redis: numbered
      JsonNode before = chat(edge, token, conversation, "before", ws);
      assertThat(before.get("offset").asLong()).as(before.toString()).isPositive();

      redis.stop();
      HttpClient http = HttpClient.newHttpClient();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () ->
                  ChatTrace.send(http, "GET", realtimeUrl + "/health/ready", null, null)
                          .statusCode()
                      == 503);

      // without: the api hands the events Redis refused to realtime-url, whose instance delivers
      // them to its own subscribers, unnumbered
      JsonNode during = chat(edge, token, conversation, "during", ws);
      assertThat(during.get("offset").asLong()).as(during.toString()).isZero();
      assertThat(during.get("epoch").asText()).isEmpty();
    }
  }

  /** Chats {@code text}; returns the {@code message.created} of the answer the socket received. */
  private static JsonNode chat(
      ChatTrace edge, String token, String conversation, String text, WsClient ws)
      throws Exception {
    var chat =
        edge.call(
            "POST",
            "/api/chat",
            token,
            "{\"conversation_id\":\"" + conversation + "\",\"message\":\"" + text + "\"}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    String answer = json(chat).at("/message/content").asText();
    assertThat(answer).contains(text);
    JsonNode event;
    do {
      event = ws.next("event");
    } while (!event.get("event").asText().equals("message.created")
        || !event.at("/data/message/role").asText().equals("assistant"));
    assertThat(event.at("/data/message/content").asText()).isEqualTo(answer);
    return event;
  }
}
