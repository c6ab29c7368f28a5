package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(30)
class OpenAiCompatibleRoutingTest {
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private FakeUpstream upstream;
  private Router router;

  @BeforeEach
  void start() {
    upstream =
        fixture
            .upstream()
            .on("/v1/models", 200, Wire.OPENAI_MODELS)
            .on("/v1/chat/completions", 200, Wire.OPENAI_CHAT);
    router =
        fixture.start(
            RouterFixture.settings()
                .provider("openai")
                .openaiUrl(upstream.url("/v1/"))
                .openaiKey("sk-test-123")
                .requestTimeout(Duration.ofSeconds(5)));
  }

  @Test
  void modelsAreDiscoveredWithTheBearerKeyAndListed() throws Exception {
    var response = Http.get(router.url() + "/v1/models");

    assertThat(router.providerName()).isEqualTo("openai");
    assertThat(router.defaultModel()).isEqualTo("gpt-4o-mini");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.json(response).path("data"))
        .extracting(m -> m.path("id").asText() + "/" + m.path("owned_by").asText())
        .containsExactly("gpt-4o-mini/openai", "gpt-4.1/openai");
    assertThat(upstream.requests("/v1/models"))
        .isNotEmpty()
        .allSatisfy(
            r -> assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test-123"));
  }

  @Test
  void chatIsForwardedWithTheBearerKeyAndTheUpstreamAnswerPassesThrough() throws Exception {
    var response =
        Http.post(
            router.url() + "/v1/chat/completions",
            """
            {"model":"openai/gpt-4o-mini",
             "messages":[{"role":"user","content":[{"type":"text","text":"Hello"},
                                                   {"type":"text","text":"there"}]}],
             "max_completion_tokens":20,"stop":"END"}
            """);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Http.json(response);
    assertThat(body.path("id").asText()).isEqualTo("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(body.path("created").asLong()).isEqualTo(1741569952L);
    assertThat(body.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("Hello! How can I help?");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(19);
    assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(10);
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(29);

    RecordedRequest sent = upstream.requests("/v1/chat/completions").getFirst();
    assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer sk-test-123");
    assertThat(sent.getHeaders().get("traceparent")).isNotNull();
    assertThat(Http.json(sent.getBody().utf8()))
        .isEqualTo(
            Http.json(
                """
                {"model":"gpt-4o-mini",
                 "messages":[{"role":"user","content":"Hello\\nthere"}],
                 "max_tokens":20,"stop":["END"],"stream":false}
                """));
  }

  @Test
  void genAiSpanCarriesTheUpstreamsResponseIdModelAndAddress() throws Exception {
    Http.post(router.url() + "/v1/chat/completions", Http.chat("gpt-4o-mini", "Hi"));

    var spans = Http.chatTrace(fixture.otel);
    SpanData chat =
        spans.stream()
            .filter(s -> s.getName().equals("chat gpt-4o-mini"))
            .findFirst()
            .orElseThrow();
    var attributes = chat.getAttributes();
    assertThat(attributes.get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
    assertThat(attributes.get(AttributeKey.stringKey("gen_ai.response.id")))
        .isEqualTo("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assertThat(attributes.get(AttributeKey.stringKey("gen_ai.response.model")))
        .isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(attributes.get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
        .isEqualTo(List.of("stop"));
    assertThat(attributes.get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
    assertThat(attributes.get(AttributeKey.longKey("server.port"))).isEqualTo(upstream.port());
  }
}
