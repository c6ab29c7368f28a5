package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code stream: true}: Server-Sent Events exactly as OpenAI sends them, from every provider. */
@Timeout(30)
class StreamingTest {
  @TempDir Path dir;
  private final TestTelemetry otel = new TestTelemetry("uat-router");
  private final List<AutoCloseable> open = new ArrayList<>();
  private Router router;

  @AfterEach
  void stop() throws Exception {
    if (router != null) {
      router.close();
    }
    for (AutoCloseable c : open) {
      c.close();
    }
    otel.close();
  }

  private FakeUpstream upstream() throws Exception {
    FakeUpstream u = new FakeUpstream();
    open.add(u);
    return u;
  }

  private Router start(RouterSettings settings) {
    router =
        Router.start(settings.toBuilder().port(0).build(), otel.telemetry(), Http.VERIFIER, false);
    return router;
  }

  /** The {@code data:} payloads of an SSE body, in order; checks the framing on the way. */
  static List<String> events(String body) {
    assertThat(body).endsWith("\n\n");
    List<String> out = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      assertThat(event).startsWith("data: ");
      out.add(event.substring(6));
    }
    return out;
  }

  @Test
  void ollamaNdjsonBecomesOpenAiChunksWithUsageAndDone() throws Exception {
    FakeUpstream ollama = upstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    ollama.on(
        "/api/chat",
        FakeUpstream.stream(
            "application/x-ndjson", Wire.ollamaStream("llama3.2:latest", "The", " sky", " is")));
    start(RouterSettings.defaults().toBuilder().provider("ollama").ollamaUrl(ollama.url()).build());

    var response =
        Http.post(
            router.url() + "/v1/chat/completions", Http.streamedChat("llama3.2", "Why blue?"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/event-stream");
    assertThat(response.headers().firstValue("X-Router-Overhead-Micros")).isPresent();
    List<String> events = events(response.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    List<JsonNode> chunks = new ArrayList<>();
    for (String e : events.subList(0, events.size() - 1)) {
      chunks.add(Http.json(e));
    }
    String id = chunks.getFirst().path("id").asText();
    assertThat(id).startsWith("chatcmpl-");
    assertThat(chunks)
        .allSatisfy(
            c -> {
              assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
              assertThat(c.path("id").asText()).isEqualTo(id);
              assertThat(c.path("model").asText()).isEqualTo("llama3.2:latest");
            });
    assertThat(chunks.get(0).at("/choices/0/delta").toString())
        .isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
    StringBuilder text = new StringBuilder();
    for (JsonNode c : chunks.subList(1, 4)) {
      assertThat(c.at("/choices/0/finish_reason").isNull()).isTrue();
      text.append(c.at("/choices/0/delta/content").asText());
    }
    assertThat(text).hasToString("The sky is");
    JsonNode last = chunks.get(4);
    assertThat(last.at("/choices/0/delta").toString()).isEqualTo("{}");
    assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    JsonNode usage = chunks.get(5);
    assertThat(usage.path("choices")).isEmpty();
    assertThat(usage.path("usage").toString())
        .isEqualTo("{\"prompt_tokens\":26,\"completion_tokens\":282,\"total_tokens\":308}");
    assertThat(chunks).hasSize(6);

    JsonNode sent = Http.json(ollama.requests("/api/chat").getFirst().getBody().utf8());
    assertThat(sent.path("stream").asBoolean()).isTrue();
  }

  @Test
  void withoutIncludeUsageThereIsNoUsageChunk() throws Exception {
    start(RouterSettings.defaults().toBuilder().provider("echo").build());

    var response =
        Http.post(
            router.url() + "/v1/chat/completions",
            "{\"stream\":true," + Http.chat(null, "one two three").substring(1));

    List<String> events = events(response.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode c = Http.json(e);
      assertThat(c.path("choices")).hasSize(1);
      assertThat(c.has("usage")).isFalse();
      text.append(c.at("/choices/0/delta/content").asText(""));
    }
    assertThat(text.toString()).endsWith("You said: one two three");
    assertThat(events.size()).as("role chunk, word chunks, finish chunk, DONE").isGreaterThan(8);
  }

  @Test
  void openAiCompatibleEventsWithDataOverSeveralLinesAreJoined() throws Exception {
    // the same events, each one's JSON split over two data: lines (SSE joins them with \n)
    String split =
        Wire.openAiStream("gpt-4o-mini", "Hel", "lo")
            .replace(",\"logprobs\"", ",\ndata: \"logprobs\"");
    assertThat(split).contains("\ndata: \"logprobs\"");
    FakeUpstream openai = upstream().on("/v1/models", 200, Wire.OPENAI_MODELS);
    openai.on("/v1/chat/completions", FakeUpstream.stream("text/event-stream", split));
    start(
        RouterSettings.defaults().toBuilder()
            .provider("openai")
            .openaiUrl(openai.url("/v1"))
            .build());

    var response =
        Http.post(router.url() + "/v1/chat/completions", Http.streamedChat("gpt-4o-mini", "Hi"));

    List<String> events = events(response.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    assertThat(Http.json(events.get(1)).at("/choices/0/delta/content").asText()).isEqualTo("Hel");
    assertThat(Http.json(events.get(2)).at("/choices/0/delta/content").asText()).isEqualTo("lo");
  }

  @Test
  void openAiCompatibleSseIsRelayedAndUpstreamAskedForUsage() throws Exception {
    FakeUpstream openai = upstream().on("/v1/models", 200, Wire.OPENAI_MODELS);
    openai.on(
        "/v1/chat/completions",
        FakeUpstream.stream("text/event-stream", Wire.openAiStream("gpt-4o-mini", "Hel", "lo")));
    start(
        RouterSettings.defaults().toBuilder()
            .provider("openai")
            .openaiUrl(openai.url("/v1"))
            .openaiKey(null)
            .build());

    var response =
        Http.post(router.url() + "/v1/chat/completions", Http.streamedChat("gpt-4o-mini", "Hi"));

    List<String> events = events(response.body());
    assertThat(events).hasSize(6); // role, 2 pieces, finish, usage, [DONE]
    assertThat(Http.json(events.get(0)).path("id").asText()).isEqualTo("chatcmpl-123");
    assertThat(Http.json(events.get(1)).at("/choices/0/delta/content").asText()).isEqualTo("Hel");
    assertThat(Http.json(events.get(4)).path("usage").path("total_tokens").asInt()).isEqualTo(21);
    JsonNode sent = Http.json(openai.requests("/v1/chat/completions").getFirst().getBody().utf8());
    assertThat(sent.path("stream").asBoolean()).isTrue();
    assertThat(sent.at("/stream_options/include_usage").asBoolean()).isTrue();
  }

  @Test
  void midStreamFailureEndsTheStreamWithAnErrorEventAndNoDone() throws Exception {
    FakeUpstream ollama = upstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    String whole = Wire.ollamaStream("llama3.2:latest", "Once", " upon");
    String cut = whole.substring(0, whole.lastIndexOf("{\"model\"")); // no done:true line
    ollama.on("/api/chat", FakeUpstream.stream("application/x-ndjson", cut));
    start(RouterSettings.defaults().toBuilder().provider("ollama").ollamaUrl(ollama.url()).build());

    var response =
        Http.post(router.url() + "/v1/chat/completions", Http.streamedChat("llama3.2", "Story"));

    assertThat(response.statusCode()).isEqualTo(200); // the headers went out with the first piece
    List<String> events = events(response.body());
    assertThat(events).doesNotContain("[DONE]");
    JsonNode error = Http.json(events.getLast()).path("error");
    assertThat(error.path("code").asText()).isEqualTo("upstream_error");
    assertThat(error.path("type").asText()).isEqualTo("server_error");
    assertThat(error.path("message").asText()).contains("ollama", "before the answer was complete");
    assertThat(Http.json(events.get(1)).at("/choices/0/delta/content").asText()).isEqualTo("Once");
    // no fallback after the first piece: one attempt only
    assertThat(ollama.requests("/api/chat")).hasSize(1);
    SpanData chat =
        Http.trace(otel, "POST /v1/chat/completions", s -> true).stream()
            .filter(s -> s.getName().equals("chat llama3.2:latest"))
            .findFirst()
            .orElseThrow();
    assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo("incomplete_response");
  }

  @Test
  void noFirstTokenInTimeFailsOverBeforeAnythingIsSent() throws Exception {
    FakeUpstream slow = upstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    slow.on("/api/chat", FakeUpstream.stalledStream("application/x-ndjson"));
    FakeUpstream fast = upstream().on("/api/tags", 200, Wire.OLLAMA_TAGS);
    fast.on(
        "/api/chat",
        FakeUpstream.stream("application/x-ndjson", Wire.ollamaStream("llama3.2:latest", "Hi")));
    Path config = dir.resolve("router.yaml");
    Files.writeString(
        config,
        """
        providers:
          - {name: slow, kind: ollama, url: "%s", timeouts: {first_token: 300ms, total: 10s}}
          - {name: fast, kind: ollama, url: "%s"}
        aliases:
          chat: [slow/llama3.2, fast/llama3.2]
        """
            .formatted(slow.url(), fast.url()));
    start(RouterSettings.defaults().toBuilder().configFile(config).build());

    long t0 = System.nanoTime();
    var response =
        Http.post(router.url() + "/v1/chat/completions", Http.streamedChat("chat", "Hello"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(response.statusCode()).isEqualTo(200);
    List<String> events = events(response.body());
    assertThat(events.getLast()).isEqualTo("[DONE]");
    assertThat(Http.json(events.get(1)).at("/choices/0/delta/content").asText()).isEqualTo("Hi");
    assertThat(took)
        .isGreaterThanOrEqualTo(Duration.ofMillis(300))
        .isLessThan(Duration.ofSeconds(5));
    List<SpanData> spans =
        Http.trace(
            otel,
            "POST /v1/chat/completions",
            s -> s.stream().filter(x -> x.getName().startsWith("chat ")).count() == 2);
    SpanData first =
        spans.stream()
            .filter(
                s ->
                    "slow"
                        .equals(
                            s.getAttributes()
                                .get(AttributeKey.stringKey("uat.router.provider.instance"))))
            .findFirst()
            .orElseThrow();
    assertThat(first.getAttributes().get(AttributeKey.stringKey("error.type")))
        .isEqualTo("timeout");
    assertThat(first.getStatus().getDescription()).contains("sent no first token", "300 ms");
    SpanData second =
        spans.stream()
            .filter(
                s ->
                    "fast"
                        .equals(
                            s.getAttributes()
                                .get(AttributeKey.stringKey("uat.router.provider.instance"))))
            .findFirst()
            .orElseThrow();
    assertThat(second.getAttributes().get(AttributeKey.longKey("uat.router.fallback_index")))
        .isEqualTo(1L);
    assertThat(second.getAttributes().get(AttributeKey.longKey("uat.router.attempt")))
        .isEqualTo(2L);
  }
}
