package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Closer;
import java.io.IOException;
import java.nio.file.Path;
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
  static final Closer open = new Closer();
  static String edgeUrl;
  static String observatoryUrl;

  @BeforeAll
  static void serve() throws IOException {
    Map<String, String> flags = TestSettings.separate(data);
    Config config = Config.load(null, Map.of(), flags);
    observatoryUrl = Uat.Serve.start(Wiring.Component.OBSERVATORY, config, open).url();
    Uat.Serve.start(Wiring.Component.ROUTER, config, open).url();
    Uat.Serve.start(Wiring.Component.API, config, open).url();
    Uat.Serve.start(Wiring.Component.REALTIME, config, open).url();
    edgeUrl = Uat.Serve.start(Wiring.Component.EDGE, config, open).url();
  }

  @AfterAll
  static void stop() throws Exception {
    open.close();
  }

  @Test
  void chatRequestProducesOneTraceAcrossSeparatelyStartedServices() throws Exception {
    JsonNode trace = new ChatTrace(edgeUrl, observatoryUrl).run("grace@example.com");
    ChatTrace.assertTree(trace);
    assertThat(ChatTrace.services(trace))
        .contains("uat-edge", "uat-api", "uat-router", "uat-realtime");
  }
}
