package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.web.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The events' data, built as JSON trees, is the JSON Jackson writes of the api's records. */
class ChatEventsTest {
  @Test
  void createdIsWhatJacksonWritesOfTheMessageView() {
    for (Store.Message m :
        new Store.Message[] {
          new Store.Message("q1", "user", "hi \"there\"", null, null, null, "t1", Jdbc.now()),
          new Store.Message(
              "a1",
              "assistant",
              "Hello\nback ✓",
              "llama3.2:latest",
              12,
              0,
              "0af7651916cd43dd8448eb211c80319c",
              Instant.parse("2026-12-01T10:00:00Z")),
          new Store.Message(
              "a2", "assistant", "", "m", 1, 2, null, Instant.parse("2026-12-01T10:00:00.120Z"))
        }) {
      Map<String, Object> expected = new LinkedHashMap<>();
      expected.put("conversation_id", "c1");
      expected.put("message", ChatRoutes.MessageView.of(m));

      assertThat(ChatRoutes.created("c1", m))
          .as(m.toString())
          .isEqualTo(Json.MAPPER.valueToTree(expected));
      assertThat(Json.writeString(ChatRoutes.created("c1", m)))
          .isEqualTo(Json.writeString(expected));
    }
  }

  @Test
  void deltaHasTheDocumentedFields() throws Exception {
    assertThat(ChatRoutes.delta("c1", "m1", "Hel", 3))
        .isEqualTo(
            Json.MAPPER.readTree(
                "{\"conversation_id\":\"c1\",\"message_id\":\"m1\",\"delta\":\"Hel\",\"index\":3}"));
  }
}
