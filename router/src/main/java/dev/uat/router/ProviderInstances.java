package dev.uat.router;

import dev.uat.router.provider.EchoProvider;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.OllamaProvider;
import dev.uat.router.provider.OpenAiProvider;
import dev.uat.router.provider.Provider;
import dev.uat.router.provider.ProviderException;
import dev.uat.router.provider.Timeouts;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import okhttp3.Call;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider instances of a router at start: built from the flat settings (one provider; {@code
 * auto} probes Ollama, else echo) or from the configuration file, each with its own traced HTTP
 * client, and listed once in parallel without making traces.
 */
final class ProviderInstances {
  private static final Logger log = LoggerFactory.getLogger(ProviderInstances.class);

  private ProviderInstances() {}

  /** The HTTP client of one provider instance: traced, with its own connect timeout. */
  static Call.Factory httpClient(Telemetry telemetry, Duration connectTimeout) {
    return TracedHttpClient.create(telemetry, connectTimeout);
  }

  /** The one provider of the flat settings ({@code auto} probes Ollama, else echo). */
  static ProviderInstance flat(RouterSettings s, Telemetry telemetry) {
    Timeouts timeouts = Timeouts.of(s.requestTimeout());
    return switch (s.provider()) {
      case "echo" -> new ProviderInstance("echo", new EchoProvider(), 1, 0, false);
      case "ollama" ->
          new ProviderInstance(
              "ollama",
              new OllamaProvider(
                  s.ollamaUrl(), httpClient(telemetry, timeouts.connect()), timeouts),
              1,
              0,
              true);
      case "openai" -> {
        if (s.openaiUrl() == null) {
          throw new IllegalArgumentException(
              "provider 'openai' needs openaiUrl, e.g. http://127.0.0.1:8080/v1");
        }
        yield new ProviderInstance(
            "openai",
            new OpenAiProvider(
                s.openaiUrl(), s.openaiKey(), httpClient(telemetry, timeouts.connect()), timeouts),
            1,
            0,
            true);
      }
      default -> auto(s, telemetry, timeouts);
    };
  }

  private static ProviderInstance auto(RouterSettings s, Telemetry telemetry, Timeouts timeouts) {
    OllamaProvider ollama =
        new OllamaProvider(s.ollamaUrl(), httpClient(telemetry, timeouts.connect()), timeouts);
    long start = System.nanoTime();
    try {
      List<Model> models = untraced(() -> ollama.models(Router.AUTO_PROBE_TIMEOUT));
      log.info(
          "provider auto: Ollama at {} answered in {} ms with {} model(s); using ollama",
          s.ollamaUrl(),
          (System.nanoTime() - start) / 1_000_000,
          models.size());
      ProviderInstance instance = new ProviderInstance("ollama", ollama, 1, 0, true);
      instance.setModels(models);
      return instance;
    } catch (ProviderException e) {
      log.info(
          "provider auto: no Ollama ({}); using the built-in echo provider — replies are not from"
              + " a model",
          e.getMessage());
      return new ProviderInstance("echo", new EchoProvider(), 1, 0, false);
    }
  }

  static List<ProviderInstance> configured(
      List<RouterConfig.ProviderConfig> configs, Telemetry telemetry) {
    List<ProviderInstance> out = new ArrayList<>(configs.size());
    for (RouterConfig.ProviderConfig c : configs) {
      Timeouts timeouts = new Timeouts(c.connectTimeout(), c.firstTokenTimeout(), c.totalTimeout());
      Provider provider =
          switch (c.kind()) {
            case "ollama" ->
                new OllamaProvider(c.url(), httpClient(telemetry, c.connectTimeout()), timeouts);
            case "openai" ->
                new OpenAiProvider(
                    c.url(), c.apiKey(), httpClient(telemetry, c.connectTimeout()), timeouts);
            default -> new EchoProvider();
          };
      out.add(new ProviderInstance(c.name(), provider, c.weight(), c.maxConcurrency(), c.cache()));
    }
    return out;
  }

  /** Lists every instance not listed yet, in parallel, untraced. */
  static void discover(List<ProviderInstance> instances) {
    List<Thread> threads = new ArrayList<>();
    for (ProviderInstance i : instances) {
      if (i.models() != null) {
        continue;
      }
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      List<Model> models = untraced(() -> i.refresh(ModelCatalog.LIST_TIMEOUT));
                      log.info("provider {}: {} model(s) found", i.name(), models.size());
                    } catch (ProviderException e) {
                      log.warn(
                          "provider {}: {}; starting anyway — /health/ready reports it and"
                              + " requests routed to it fail (or fall back) until it answers",
                          i.name(),
                          e.getMessage());
                    }
                  }));
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Runs start-up discovery and readiness probes under an unsampled parent, so that they make no
   * traces: they are polled, and a trace per poll would bury the traces people look for.
   */
  @SuppressWarnings("try") // the scope is only closed
  static <T> T untraced(Supplier<T> call) {
    IdGenerator ids = IdGenerator.random();
    SpanContext unsampled =
        SpanContext.create(
            ids.generateTraceId(),
            ids.generateSpanId(),
            TraceFlags.getDefault(),
            TraceState.getDefault());
    try (Scope ignored = Context.root().with(Span.wrap(unsampled)).makeCurrent()) {
      return call.get();
    }
  }
}
