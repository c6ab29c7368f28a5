package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class OllamaRoutingTest {
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private final FakeUpstream ollama = fixture.ollama("Hi there!");
  private Router router;

  @BeforeEach
  void start() {
    router = start("auto");
  }

  private Router start(String provider) {
    return fixture.start(
        RouterFixture.settings()
            .provider(provider)
            .ollamaUrl(ollama.url())
            .requestTimeout(Duration.ofSeconds(5)));
  }

  private String chatUrl() {
    return router.url() + "/v1/chat/completions";
  }

  @Test
  void autoChoosesOllamaWhenItAnswersAndDefaultsToItsFirstModel() {
    assertThat(router.providerName()).isEqualTo("ollama");
    assertThat(router.defaultModel()).isEqualTo("llama3.2:latest");
    assertThat(router.url()).isEqualTo("http://127.0.0.1:" + router.port());
  }

  @Test
  void discoveredOllamaModelsAreListedInOpenAiShape() throws Exception {
    var response = Http.get(router.url() + "/v1/models");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Http.json(response);
    assertThat(body.path("object").asText()).isEqualTo("list");
    assertThat(body.path("data")).hasSize(2);
    JsonNode first = body.path("data").get(0);
    assertThat(first.path("id").asText()).isEqualTo("llama3.2:latest");
    assertThat(first.path("object").asText()).isEqualTo("model");
    assertThat(first.path("owned_by").asText()).isEqualTo("ollama");
    assertThat(first.path("created").asLong()).isEqualTo(1746405464L); // modified_at
    assertThat(body.path("data").get(1).path("id").asText()).isEqualTo("qwen2.5:0.5b");
  }

  @Test
  void chatIsTranslatedToOllamasNativeApiAndBack() throws Exception {
    var response =
        Http.post(
            chatUrl(),
            """
            {"model":"llama3.2:latest",
             "messages":[{"role":"system","content":"Be brief."},
                         {"role":"user","content":"Hello?"}],
             "temperature":0.2,"top_p":0.9,"max_tokens":64,"stop":["\\n\\n"],"seed":42,
             "user":"ada"}
            """);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Http.json(response);
    assertThat(body.path("id").asText()).startsWith("chatcmpl-");
    assertThat(body.path("object").asText()).isEqualTo("chat.completion");
    assertThat(body.path("created").asLong()).isEqualTo(1702390423L);
    assertThat(body.path("model").asText()).isEqualTo("llama3.2:latest");
    JsonNode choice = body.path("choices").get(0);
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
    assertThat(choice.path("message").path("content").asText()).isEqualTo("Hi there!");
    assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(26);
    assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(298);
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(324);

    RecordedRequest upstream = ollama.requests("/api/chat").getFirst();
    assertThat(upstream.getMethod()).isEqualTo("POST");
    assertThat(Http.json(upstream.getBody().utf8()))
        .isEqualTo(
            Http.json(
                """
                {"model":"llama3.2:latest",
                 "messages":[{"role":"system","content":"Be brief."},
                             {"role":"user","content":"Hello?"}],
                 "stream":false,
                 "options":{"temperature":0.2,"top_p":0.9,"num_predict":64,
                            "stop":["\\n\\n"],"seed":42}}
                """));

    String traceparent = upstream.getHeaders().get("traceparent");
    assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]");
    var spans = Http.chatTrace(fixture.otel);
    SpanData server =
        spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertThat(traceparent.substring(3, 35)).isEqualTo(server.getTraceId());
    SpanData httpClient =
        spans.stream().filter(s -> s.getName().equals("POST")).findFirst().orElseThrow();
    assertThat(traceparent.substring(36, 52)).isEqualTo(httpClient.getSpanId());
  }

  @Test
  void requestWithoutOptionsSendsNoOptionsToOllama() throws Exception {
    var response = Http.post(chatUrl(), Http.chat("llama3.2:latest", "Hi"));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode sent = Http.json(ollama.requests("/api/chat").getFirst().getBody().utf8());
    assertThat(sent.has("options")).isFalse();
    assertThat(sent.path("stream").asBoolean(true)).isFalse();
  }

  @Test
  void doneReasonLengthBecomesFinishReasonLength() throws Exception {
    ollama.on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "Once upon a", "length"));

    var response = Http.post(chatUrl(), Http.chat("llama3.2:latest", "Tell a story"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.json(response).path("choices").get(0).path("finish_reason").asText())
        .isEqualTo("length");
  }

  @Test
  void providerPrefixedAndUntaggedModelNamesResolveToOllamasNames() throws Exception {
    assertThat(Http.post(chatUrl(), Http.chat("ollama/llama3.2:latest", "Hi")).statusCode())
        .isEqualTo(200);
    assertThat(Http.post(chatUrl(), Http.chat("llama3.2", "Hi")).statusCode()).isEqualTo(200);

    assertThat(ollama.requests("/api/chat"))
        .extracting(r -> Http.json(r.getBody().utf8()).path("model").asText())
        .containsExactly("llama3.2:latest", "llama3.2:latest");
  }

  @Test
  void requestWithoutModelUsesTheDefaultModel() throws Exception {
    var response = Http.post(chatUrl(), Http.chat(null, "Hi"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(
            Http.json(ollama.requests("/api/chat").getFirst().getBody().utf8())
                .path("model")
                .asText())
        .isEqualTo("llama3.2:latest");
  }

  @Test
  void unknownModelRefreshesTheModelListAtMostOnceThenIs404() throws Exception {
    int listedAtStart = ollama.requests("/api/tags").size();
    ollama.on(
        "/api/tags",
        200,
        Wire.OLLAMA_TAGS.replace("\"name\":\"qwen2.5:0.5b\"", "\"name\":\"mistral:7b\""));

    var pulledSinceStart = Http.post(chatUrl(), Http.chat("mistral:7b", "Hi"));
    var unknown = Http.post(chatUrl(), Http.chat("nope:1b", "Hi"));

    assertThat(pulledSinceStart.statusCode()).isEqualTo(200);
    assertThat(unknown.statusCode()).isEqualTo(404);
    JsonNode error = Http.json(unknown).path("error");
    assertThat(error.path("code").asText()).isEqualTo("model_not_found");
    assertThat(error.path("message").asText())
        .contains("'nope:1b'", "ollama", "llama3.2:latest", "mistral:7b");
    assertThat(ollama.requests("/api/tags")).hasSize(listedAtStart + 1);
  }

  @Test
  void readinessIsOkWhileOllamaAnswers() throws Exception {
    var response = Http.get(router.url() + "/health/ready");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.json(response).path("checks").path("ollama").asText()).isEqualTo("ok");
    assertThat(fixture.otel.spans()).as("probes make no traces").isEmpty();
  }

  @Test
  void oneModelCanBeRetrievedByName() throws Exception {
    var found = Http.get(router.url() + "/v1/models/ollama/qwen2.5:0.5b");
    var missing = Http.get(router.url() + "/v1/models/nope");

    assertThat(found.statusCode()).isEqualTo(200);
    assertThat(Http.json(found).path("id").asText()).isEqualTo("qwen2.5:0.5b");
    assertThat(Http.json(found).path("object").asText()).isEqualTo("model");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(Http.json(missing).path("error").path("code").asText()).isEqualTo("model_not_found");
  }
}
