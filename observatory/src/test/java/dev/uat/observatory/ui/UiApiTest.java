package dev.uat.observatory.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.web.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JSON the UI reads: compact traces, span details, search summaries, RED, map, GenAI. */
@Timeout(60)
class UiApiTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private TestObservatory fixture;
  private Observatory observatory;
  private List<Span> chat;
  private List<Span> other;

  @BeforeEach
  void start() throws Exception {
    fixture = TestObservatory.start(8 << 20);
    observatory = fixture.observatory();
    SyntheticTraces traces = new SyntheticTraces(11);
    long now = System.currentTimeMillis() * 1_000_000;
    other = traces.chatTrace(now - 5_000_000_000L, 0);
    chat = new ArrayList<>(traces.chatTrace(now - 2_000_000_000L, 1));
    Span first = chat.removeFirst();
    chat.addFirst(
        Span.builder()
            .traceId(first.traceIdHigh(), first.traceIdLow())
            .spanId(first.spanId())
            .name(first.name())
            .kind(first.kind())
            .startEpochNanos(first.startEpochNanos())
            .endEpochNanos(first.endEpochNanos())
            .attributes(first.attributes())
            .status(first.statusCode(), first.statusMessage())
            .events(
                List.of(
                    new Event(
                        first.startEpochNanos() + 1_000, "retry", Attributes.of("attempt", 2L), 0)))
            .links(
                List.of(
                    new Link(
                        other.getFirst().traceIdHigh(),
                        other.getFirst().traceIdLow(),
                        other.getFirst().spanId(),
                        "",
                        Attributes.empty(),
                        0,
                        1),
                    new Link(9, 9, 9, "", Attributes.empty(), 0, 1)))
            .scope(first.scope())
            .resource(first.resource())
            .build());
    List<Span> all = new ArrayList<>(other);
    all.addAll(chat);
    fixture.ingest(all);
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private JsonNode get(String path, int status) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(observatory.queryUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(status);
    return Json.MAPPER.readTree(response.body());
  }

  @Test
  void aTraceComesInTheCompactColumnarForm() throws Exception {
    String id = chat.getFirst().traceIdHex();
    JsonNode t = get("/api/ui/trace/" + id, 200);

    assertThat(t.get("traceId").asText()).isEqualTo(id);
    assertThat(t.get("start").asLong()).isEqualTo(chat.getFirst().startEpochNanos() / 1000);
    JsonNode spans = t.get("spans");
    assertThat(spans.get("id")).hasSize(10);
    for (String column :
        List.of(
            "parent",
            "service",
            "name",
            "start",
            "duration",
            "kind",
            "status",
            "events",
            "links")) {
      assertThat(spans.get(column)).as(column).hasSize(10);
    }
    assertThat(spans.get("id").get(0).asText()).isEqualTo(chat.getFirst().spanIdHex());
    assertThat(spans.get("parent").get(0).asInt()).isEqualTo(-1);
    assertThat(spans.get("parent").get(1).asInt())
        .as("the api span's parent is the edge span")
        .isZero();
    assertThat(t.get("services").get(spans.get("service").get(0).asInt()).asText())
        .isEqualTo("uat-edge");
    assertThat(t.get("names").get(spans.get("name").get(0).asInt()).asText())
        .isEqualTo("POST /api/*");
    assertThat(spans.get("start").get(0).asLong()).isZero();
    assertThat(spans.get("kind").get(0).asInt()).as("SERVER").isEqualTo(2);
    assertThat(spans.get("status").get(0).asInt()).as("ERROR").isEqualTo(2);
    assertThat(spans.get("events").get(0).asInt()).isOne();
    assertThat(spans.get("links").get(0).asInt()).isEqualTo(2);

    assertThat(get("/api/ui/trace/" + "2".repeat(32), 404).get("error").get("code").asText())
        .isEqualTo("not_found");
    assertThat(get("/api/ui/trace/nothex", 400).get("error").get("code").asText())
        .isEqualTo("invalid_request");
  }

  @Test
  void aSpanComesWithAttributesEventsAndLinksToOtherTraces() throws Exception {
    Span root = chat.getFirst();
    JsonNode s = get("/api/ui/trace/" + root.traceIdHex() + "/span/" + root.spanIdHex(), 200);

    assertThat(s.get("name").asText()).isEqualTo("POST /api/*");
    assertThat(s.get("service").asText()).isEqualTo("uat-edge");
    assertThat(s.get("kind").asText()).isEqualTo("server");
    assertThat(s.get("status").asText()).isEqualTo("ERROR");
    assertThat(s.get("attributes").toString())
        .contains("{\"key\":\"http.route\",\"type\":\"string\",\"value\":\"/api/*\"}");
    assertThat(s.get("events").get(0).get("name").asText()).isEqualTo("retry");
    assertThat(s.get("events").get(0).get("attributes").get(0).get("value").asText())
        .isEqualTo("2");
    assertThat(s.get("links").get(0).get("traceId").asText())
        .isEqualTo(other.getFirst().traceIdHex());
    assertThat(s.get("links").get(0).get("stored").asBoolean()).isTrue();
    assertThat(s.get("links").get(1).get("stored").asBoolean()).isFalse();
    assertThat(s.get("resource").toString()).contains("service.version");
    get("/api/ui/trace/" + root.traceIdHex() + "/span/" + "f".repeat(16), 404);
    get("/api/ui/trace/" + root.traceIdHex() + "/span/xyz", 400);
  }

  @Test
  void searchAnswersSummariesAndOurErrorShape() throws Exception {
    JsonNode body =
        get("/api/ui/search?service=uat-api&lookback=1h&tags=%7B%22error%22%3A%22true%22%7D", 200);

    assertThat(body.get("traces")).hasSize(1);
    JsonNode t = body.get("traces").get(0);
    assertThat(t.get("traceId").asText()).isEqualTo(chat.getFirst().traceIdHex());
    assertThat(t.get("rootService").asText()).isEqualTo("uat-edge");
    assertThat(t.get("spans").asInt()).isEqualTo(10);
    assertThat(t.get("errors").asInt()).isPositive();
    assertThat(get("/api/ui/search?lookback=1h", 400).get("error").get("message").asText())
        .isEqualTo("parameter 'service' is required");
  }

  @Test
  void redMapAndGenAiFiguresDescribeTheSpansReceived() throws Exception {
    JsonNode services = get("/api/ui/services?kinds=server", 200).get("services");
    JsonNode api = null;
    for (JsonNode s : services) {
      if (s.get("name").asText().equals("uat-api")) {
        api = s;
      }
    }
    assertThat(api.get("calls").asInt()).isEqualTo(2);
    assertThat(api.get("errorRatio").asDouble()).isEqualTo(0.5);

    JsonNode red = get("/api/ui/red?service=uat-api&minutes=5", 200);
    long calls = 0;
    for (JsonNode p : red.get("points")) {
      calls += p.get("calls").asLong();
    }
    assertThat(calls).as("every span of uat-api in the series").isEqualTo(12);
    assertThat(red.get("operations").toString()).contains("\"name\":\"POST /api/chat\"");
    get("/api/ui/red", 400);
    get("/api/ui/red?service=uat-api&minutes=90", 400);

    JsonNode map = get("/api/ui/map", 200);
    assertThat(map.get("edges").toString())
        .contains("{\"parent\":\"uat-edge\",\"child\":\"uat-api\",\"calls\":2,\"errors\":1}")
        .contains("{\"parent\":\"uat-api\",\"child\":\"uat-router\",\"calls\":2,\"errors\":1}")
        .contains("{\"parent\":\"uat-api\",\"child\":\"uat-realtime\",\"calls\":2,\"errors\":0}");

    JsonNode model = get("/api/ui/genai", 200).get("models").get(0);
    assertThat(model.get("provider").asText()).isEqualTo("ollama");
    assertThat(model.get("model").asText()).isEqualTo("llama3");
    assertThat(model.get("operation").asText()).isEqualTo("chat");
    assertThat(model.get("calls").asInt()).isEqualTo(2);
    long input = 0;
    long output = 0;
    for (Span s : List.of(chat.get(7), other.get(7))) {
      input += (Long) s.attributes().get("gen_ai.usage.input_tokens").orElseThrow();
      output += (Long) s.attributes().get("gen_ai.usage.output_tokens").orElseThrow();
    }
    assertThat(model.get("inputTokens").asLong()).isEqualTo(input);
    assertThat(model.get("outputTokens").asLong()).isEqualTo(output);
    assertThat(model.get("ttftP50").asDouble()).isBetween(50.0, 250.0);
  }
}
