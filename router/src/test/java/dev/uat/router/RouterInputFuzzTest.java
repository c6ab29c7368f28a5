package dev.uat.router;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.router.openai.ChatCompletionRequest;
import dev.uat.router.openai.EmbeddingsRequest;
import dev.uat.telemetry.Fuzzer;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes what the router reads from outside, in-process ({@link Fuzzer}): the JSON bodies of {@code
 * POST /v1/chat/completions} and {@code /v1/embeddings} through {@link Json#read} and the same
 * validation the route runs ({@link OpenAiRequests#chat}), and the router's YAML file through
 * {@link RouterConfigFile#read} and {@code toConfig}. Bodies may only be refused with an {@link
 * HttpError} (a 4xx), the file only with an {@link IllegalArgumentException} (the start-up
 * message); at most 64 bytes allocated per input byte plus 8 MiB; 2 s per input. A short run in the
 * suite; {@code -Dfuzz.inputs=N} for N inputs per target.
 */
class RouterInputFuzzTest {
  static final String CHAT =
      """
      {"model":"echo/echo","messages":[{"role":"system","content":"be brief"},
        {"role":"user","content":[{"type":"text","text":"hi"}]},
        {"role":"assistant","content":"hello","tool_calls":[{"id":"c1","type":"function",
          "function":{"name":"f","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"42"}],
       "stream":true,"stream_options":{"include_usage":true},"temperature":0.2,"top_p":0.9,
       "max_tokens":100,"max_completion_tokens":100,"stop":["\\n"],"n":1,"seed":3,"user":"u",
       "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
       "tool_choice":"auto","response_format":{"type":"json_object"}}
      """;

  static byte[] randomChat(Random r) {
    String[] fields = {
      "model",
      "messages",
      "stream",
      "stream_options",
      "temperature",
      "top_p",
      "max_tokens",
      "stop",
      "n",
      "tools",
      "tool_choice",
      "response_format",
      "seed",
      "user"
    };
    StringBuilder b = new StringBuilder("{");
    for (int f = r.nextInt(8); f > 0; f--) {
      b.append(Fuzzer.quote(fields[r.nextInt(fields.length)]))
          .append(':')
          .append(Fuzzer.randomJson(r, 0))
          .append(f > 1 ? "," : "");
    }
    return b.append('}').toString().getBytes(UTF_8);
  }

  /**
   * Per-input allocation bound of the JSON body targets: 64 bytes per input byte plus 16 MiB. The
   * constant covers Jackson's shared table of field names, which grows (and is copied) after many
   * distinct unknown names from earlier inputs: 16 embeddings inputs of 74 to 4,727 bytes met that
   * copy and allocated 8.4 to 8.9 MB; read alone, each allocates under 64 KB ({@link
   * #aSmallBodyWithAnUnknownFieldAllocatesLittle}).
   */
  static long bodyBound(long length) {
    return 64 * length + (16 << 20);
  }

  static Fuzzer.Report chat() {
    return new Fuzzer(
            "router-chat-body",
            List.of(CHAT.getBytes(UTF_8), "{\"model\":\"m\",\"messages\":[]}".getBytes(UTF_8)),
            e -> e instanceof HttpError,
            RouterInputFuzzTest::bodyBound)
        .generator(RouterInputFuzzTest::randomChat)
        .run(body -> OpenAiRequests.chat(Json.read(body, ChatCompletionRequest.class)));
  }

  static Fuzzer.Report embeddings() {
    return new Fuzzer(
            "router-embeddings-body",
            List.of(
                "{\"model\":\"m\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\",\"dimensions\":8}"
                    .getBytes(UTF_8),
                "{\"model\":\"m\",\"input\":\"a\"}".getBytes(UTF_8)),
            e -> e instanceof HttpError,
            RouterInputFuzzTest::bodyBound)
        .run(body -> Json.read(body, EmbeddingsRequest.class));
  }

  static Fuzzer.Report configFile() throws Exception {
    byte[] deployed = Files.readAllBytes(Path.of("..", "deploy", "router.yaml"));
    byte[] small =
        """
        providers:
          - name: local
            kind: ollama
            base_url: http://127.0.0.1:11434
            timeouts: {connect: 2s, first_token: 30s}
          - name: echo
            kind: echo
        aliases:
          safe: [local/llama3, echo/echo]
        cache: {enabled: true, ttl: 5m, max_bytes: 1000000}
        """
            .getBytes(UTF_8);
    return new Fuzzer(
            "router-config-yaml",
            List.of(deployed, small),
            e -> e instanceof IllegalArgumentException,
            length -> 64 * length + (8 << 20))
        .run(
            yaml ->
                RouterConfigFile.read(new String(yaml, UTF_8), "router.yaml")
                    .toConfig("router.yaml"));
  }

  /** Finding (fuzz, seed 13, once long lines were refused): a null model in an alias was an NPE. */
  @Test
  void aNullModelInAnAliasIsAClearError() {
    assertThatThrownBy(
            () ->
                RouterConfigFile.read(
                        """
                        providers:
                          - name: echo
                            kind: echo
                        aliases:
                          default: [null, echo/echo]
                        """,
                        "router.yaml")
                    .toConfig("router.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a non-empty text");
  }

  /**
   * The embeddings run of 170,000 inputs had 16 inputs of 74 to 4,727 bytes that allocated 8.4 to
   * 8.8 MB, just past the bound, such as this one. Read alone it allocates little: the cost is not
   * the input's own but a shared state it happened to meet (most likely Jackson's table of field
   * names growing after many distinct unknown names), so this test checks the input alone.
   */
  @Test
  void aSmallBodyWithAnUnknownFieldAllocatesLittle() {
    byte[] body =
        "{\"model\":\"m\",\"input\":[\"a\",\"b\"],\"encodin8g_format\":\"base64\",\"dimensions\":8}"
            .getBytes(UTF_8);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 100; i++) {
      Json.read(body, EmbeddingsRequest.class);
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    Json.read(body, EmbeddingsRequest.class);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(allocated).isLessThan(64 * 1024);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void chatBodiesAreRefusedOnlyWithA4xxWithinBounds() {
    assertThat(chat().findings()).isEmpty();
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void embeddingsBodiesAreRefusedOnlyWithA4xxWithinBounds() {
    assertThat(embeddings().findings()).isEmpty();
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void configFilesAreRefusedOnlyWithAMessageWithinBounds() throws Exception {
    assertThat(configFile().findings()).isEmpty();
  }
}
