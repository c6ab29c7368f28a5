package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Several provider instances from the configuration file: discovery, merging, aliases. */
@Timeout(30)
class DiscoveryAndAliasesTest {
  @TempDir Path dir;
  @RegisterExtension final RouterFixture fixture = new RouterFixture();
  private FakeUpstream ollama;
  private FakeUpstream openai;
  private Router router;

  @BeforeEach
  void start() throws Exception {
    ollama =
        fixture
            .upstream()
            .on("/api/tags", 200, Wire.OLLAMA_TAGS)
            .on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", "from ollama", "stop"))
            .on("/api/embed", 200, Wire.OLLAMA_EMBED);
    openai =
        fixture
            .upstream()
            .on("/v1/models", 200, Wire.OPENAI_MODELS)
            .on("/v1/chat/completions", 200, Wire.OPENAI_CHAT)
            .on("/v1/embeddings", 200, Wire.OPENAI_EMBEDDINGS);
    Path config = dir.resolve("router.yaml");
    Files.writeString(
        config,
        """
        providers:
          - name: local
            kind: ollama
            url: %s
          - name: cloud
            kind: openai
            url: %s/v1
            api_key: sk-cloud
        aliases:
          fast: [local/llama3.2, cloud/gpt-4o-mini]
          smart: [cloud/gpt-4.1]
        default_model: fast
        routing:
          discovery_interval: 1h
        """
            .formatted(ollama.url(), openai.url()));
    router = fixture.start(RouterFixture.settings().configFile(config));
  }

  @Test
  void modelsOfEveryInstanceAreMergedWithTheAliases() throws Exception {
    JsonNode data = Http.json(Http.get(router.url() + "/v1/models")).path("data");

    assertThat(data)
        .extracting(m -> m.path("id").asText() + "@" + m.path("owned_by").asText())
        .containsExactly(
            "llama3.2:latest@ollama",
            "qwen2.5:0.5b@ollama",
            "gpt-4o-mini@openai",
            "gpt-4.1@openai",
            "fast@uat-router",
            "smart@uat-router");
    assertThat(router.providerInstances()).containsExactly("local", "cloud");
    assertThat(router.defaultModel()).isEqualTo("fast");
  }

  @Test
  void aliasRoutesToItsFirstStepAndTheDefaultIsTheAlias() throws Exception {
    var byAlias = Http.post(router.url() + "/v1/chat/completions", Http.chat("fast", "Hi"));
    var byDefault = Http.post(router.url() + "/v1/chat/completions", Http.chat(null, "Hi"));
    var smart = Http.post(router.url() + "/v1/chat/completions", Http.chat("smart", "Hi"));

    assertThat(Http.json(byAlias).at("/choices/0/message/content").asText())
        .isEqualTo("from ollama");
    assertThat(Http.json(byDefault).at("/choices/0/message/content").asText())
        .isEqualTo("from ollama");
    assertThat(Http.json(smart).path("model").asText()).isEqualTo("gpt-4o-mini-2024-07-18");
    JsonNode sent = Http.json(openai.requests("/v1/chat/completions").getFirst().getBody().utf8());
    assertThat(sent.path("model").asText()).isEqualTo("gpt-4.1");
    assertThat(openai.requests("/v1/chat/completions").getFirst().getHeaders().get("Authorization"))
        .isEqualTo("Bearer sk-cloud");
    var alias = Http.json(Http.get(router.url() + "/v1/models/fast"));
    assertThat(alias.path("owned_by").asText()).isEqualTo("uat-router");
  }

  @Test
  void instancePrefixKindPrefixAndBareNamesResolve() throws Exception {
    for (String name : new String[] {"cloud/gpt-4o-mini", "openai/gpt-4o-mini", "gpt-4o-mini"}) {
      var r = Http.post(router.url() + "/v1/chat/completions", Http.chat(name, "Hi"));
      assertThat(r.statusCode()).as(name).isEqualTo(200);
    }
    assertThat(openai.requests("/v1/chat/completions")).hasSize(3);
  }

  @Test
  void aModelPulledLaterIsFoundByAnOnDemandRefresh() throws Exception {
    ollama.on(
        "/api/tags",
        200,
        Wire.OLLAMA_TAGS.replace("\"name\":\"qwen2.5:0.5b\"", "\"name\":\"mistral:7b\""));

    var r = Http.post(router.url() + "/v1/chat/completions", Http.chat("mistral:7b", "Hi"));

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode ids = Http.json(Http.get(router.url() + "/v1/models")).path("data");
    assertThat(ids).extracting(m -> m.path("id").asText()).contains("mistral:7b");
  }

  @Test
  void embeddingsComeFromOllamaAndOpenAiCompatibleServers() throws Exception {
    var fromOllama =
        Http.post(
            router.url() + "/v1/embeddings",
            "{\"model\":\"local/llama3.2\",\"input\":[\"Why is the sky blue?\",\"Why grass?\"]}");
    var fromOpenAi =
        Http.post(
            router.url() + "/v1/embeddings",
            "{\"model\":\"gpt-4o-mini\",\"input\":\"hello\",\"encoding_format\":\"base64\"}");

    assertThat(fromOllama.statusCode()).as(fromOllama.body()).isEqualTo(200);
    JsonNode a = Http.json(fromOllama);
    assertThat(a.path("object").asText()).isEqualTo("list");
    assertThat(a.path("data")).hasSize(2);
    assertThat(a.at("/data/1/index").asInt()).isEqualTo(1);
    assertThat(a.at("/data/0/embedding/0").floatValue()).isEqualTo(0.010071029f);
    assertThat(a.at("/usage/prompt_tokens").asInt()).isEqualTo(8);
    assertThat(Http.json(ollama.requests("/api/embed").getFirst().getBody().utf8()).path("input"))
        .hasSize(2);
    JsonNode b = Http.json(fromOpenAi);
    byte[] bytes = java.util.Base64.getDecoder().decode(b.at("/data/0/embedding").asText());
    assertThat(bytes).hasSize(12);
    assertThat(java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0))
        .isEqualTo(0.0023064255f);
    var spans =
        Http.trace(
            fixture.otel,
            "POST /v1/embeddings",
            s -> s.stream().anyMatch(x -> x.getName().startsWith("embeddings ")));
    assertThat(spans).anySatisfy(s -> assertThat(s.getName()).startsWith("embeddings "));
  }

  @Test
  void embeddingsPassTheInterceptorChainLikeChat() throws Exception {
    var ok =
        Http.post(
            router.url() + "/v1/embeddings",
            "{\"model\":\"local/llama3.2\",\"input\":[\"Why is the sky blue?\",\"Why grass?\"]}");
    ollama.on("/api/embed", 500, "{\"error\":\"boom\"}");
    var failed =
        Http.post(
            router.url() + "/v1/embeddings", "{\"model\":\"local/llama3.2\",\"input\":\"x\"}");

    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue(OpenAiEndpoints.OVERHEAD_HEADER)).isPresent();
    assertThat(failed.statusCode()).isEqualTo(502);
    assertThat(failed.headers().firstValue(OpenAiEndpoints.OVERHEAD_HEADER)).isPresent();
    var records =
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> router.usageStore().recent("user-1", 10), r -> r.size() >= 2);
    assertThat(records)
        .extracting(
            UsageRecord::operation,
            UsageRecord::provider,
            UsageRecord::inputTokens,
            UsageRecord::status)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("embeddings", "local", 8, "ok"),
            org.assertj.core.groups.Tuple.tuple("embeddings", "local", 0, "upstream_error"));
  }

  @Test
  void invalidEmbeddingsRequestsAre400() throws Exception {
    var noModel = Http.post(router.url() + "/v1/embeddings", "{\"input\":\"x\"}");
    var tokens =
        Http.post(router.url() + "/v1/embeddings", "{\"model\":\"fast\",\"input\":[[1,2]]}");

    assertThat(noModel.statusCode()).isEqualTo(400);
    assertThat(tokens.statusCode()).isEqualTo(400);
    assertThat(Http.json(tokens).at("/error/message").asText()).contains("input[0]");
  }

  @Test
  void configurationMistakesNameTheKeyAndTheFile() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "providers:\n  - {kind: ollama, url: http://x, wieght: 2}\n");
    assertThatThrownBy(() -> RouterConfig.load(bad))
        .hasMessageContaining("bad.yaml")
        .hasMessageContaining("providers[0]")
        .hasMessageContaining("unknown key 'wieght'");
    assertThatThrownBy(
            () -> RouterConfig.parse("providers:\n  - {kind: gemini, url: http://x}\n", "f"))
        .hasMessageContaining("kind must be ollama, openai or echo");
    assertThatThrownBy(() -> RouterConfig.parse("providers:\n  - {kind: ollama}\n", "f"))
        .hasMessageContaining("needs a url");
    assertThatThrownBy(() -> RouterConfig.parse("cache: {ttl: soon}\n", "f"))
        .hasMessageContaining("cache.ttl")
        .hasMessageContaining("invalid duration");
    assertThatThrownBy(() -> RouterConfig.parse("cache: {ttl: 30}\n", "f"))
        .hasMessageContaining("f at 'cache.ttl'")
        .hasMessageContaining("missing unit in duration '30'");
    assertThatThrownBy(() -> RouterConfig.parse("cache: {max_entries: 3}\n", "f"))
        .hasMessageContaining("cache.max_entries")
        .hasMessageContaining("max_bytes");
    assertThatThrownBy(() -> RouterConfig.parse("routing: {backoff: {initial: 0}}\n", "f"))
        .hasMessageContaining("routing.backoff.initial")
        .hasMessageContaining("longer than 0");
    assertThatThrownBy(
            () -> RouterConfig.parse("providers:\n  - {kind: echo}\n  - {kind: echo}\n", "f"))
        .hasMessageContaining("used twice");
  }

  @Test
  void configurationValuesAreRead() {
    RouterConfig c =
        RouterConfig.parse(
            """
            providers:
              - {name: a, kind: openai, url: "http://h/v1", weight: 3, max_concurrency: 4,
                 timeouts: {connect: 250ms, first_token: 2s, total: 1m}}
            routing:
              retries: 2
              retry_budget: {ratio: 0.1, min_per_second: 1}
              backoff: {initial: 10ms, max: 100ms}
              circuit_breaker: {failure_threshold: 3, open_for: 10s}
            limits: {requests_per_minute: 60, tokens_per_minute: 1000}
            cache: {enabled: false, ttl: 1h, max_bytes: 5000}
            """,
            "f");

    RouterConfig.ProviderConfig p = c.providers().getFirst();
    assertThat(p.weight()).isEqualTo(3);
    assertThat(p.maxConcurrency()).isEqualTo(4);
    assertThat(p.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(p.firstTokenTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.totalTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(p.cache()).isTrue();
    assertThat(c.routing().retries()).isEqualTo(2);
    assertThat(c.routing().retryBudgetRatio()).isEqualTo(0.1);
    assertThat(c.routing().backoffMax()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.routing().breakerOpenFor()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.limits().tokensPerMinute()).isEqualTo(1000);
    assertThat(c.cache().enabled()).isFalse();
    assertThat(c.cache().maxBytes()).isEqualTo(5000);
  }
}
