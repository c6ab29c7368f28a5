package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every component started alone, as {@code uat serve <component>} starts it: peers found by URL,
 * tokens verified with the api's JWKS, events posted to realtime over HTTP, spans exported over
 * OTLP to a separate observatory.
 */
@Timeout(120)
class DistributedTest {
  @TempDir static Path data;
  static final Deque<AutoCloseable> open = new ArrayDeque<>();
  static String edgeUrl;
  static String observatoryUrl;

  @BeforeAll
  static void serve() throws IOException {
    Map<String, String> flags = TestSettings.separate(data);
    String base = "http://127.0.0.1:";
    Config config = Config.load(null, Map.of(), flags);
    String otlp = base + flags.get("otlp-port");
    observatoryUrl = Uat.Serve.start("observatory", config, otlp, open);
    Uat.Serve.start("router", config, otlp, open);
    Uat.Serve.start("api", config, otlp, open);
    Uat.Serve.start("realtime", config, otlp, open);
    edgeUrl = Uat.Serve.start("edge", config, otlp, open);
  }

  @AfterAll
  static void stop() throws Exception {
    while (!open.isEmpty()) {
      open.pop().close();
    }
  }

  @Test
  void chatRequestProducesOneTraceAcrossSeparatelyStartedServices() throws Exception {
    JsonNode trace = new ChatTrace(edgeUrl, observatoryUrl).run("grace@example.com");
    ChatTrace.assertTree(trace);
    assertThat(ChatTrace.services(trace))
        .contains("uat-edge", "uat-api", "uat-router", "uat-realtime");
  }
}
