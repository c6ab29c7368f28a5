package dev.uat.router;

import dev.uat.telemetry.TestTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most router tests share: recorded telemetry, fake upstreams and routers on free ports,
 * all closed after each test (routers first). Register with {@code @RegisterExtension}.
 */
final class RouterFixture implements AfterEachCallback {
  final TestTelemetry otel = new TestTelemetry("uat-router");
  private final List<AutoCloseable> open = new ArrayList<>();

  /** The default settings on a free port. */
  static RouterSettingsBuilder settings() {
    return RouterSettings.defaults().toBuilder().port(0);
  }

  /** A fake upstream, closed after the test. */
  FakeUpstream upstream() {
    try {
      FakeUpstream u = new FakeUpstream();
      open.add(u);
      return u;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fake Ollama that lists {@code llama3.2:latest} and answers every chat with {@code text}. */
  FakeUpstream ollama(String text) {
    return upstream()
        .on("/api/tags", 200, Wire.OLLAMA_TAGS)
        .on("/api/chat", 200, Wire.ollamaChat("llama3.2:latest", text, "stop"));
  }

  /** A router with these settings, recording its telemetry; message content not captured. */
  Router start(RouterSettingsBuilder settings) {
    return start(settings, false);
  }

  Router start(RouterSettingsBuilder settings, boolean captureContent) {
    Router router = Router.start(settings.build(), otel.telemetry(), Http.VERIFIER, captureContent);
    open.addFirst(router);
    return router;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    open.clear();
    otel.close();
  }
}
