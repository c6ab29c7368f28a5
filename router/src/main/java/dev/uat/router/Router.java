package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.router.provider.EchoProvider;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.OllamaProvider;
import dev.uat.router.provider.OpenAiProvider;
import dev.uat.router.provider.Provider;
import dev.uat.router.provider.ProviderException;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.Service;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LLM router: an OpenAI-compatible HTTP API ({@code POST /v1/chat/completions}, {@code GET
 * /v1/models}) in front of one provider chosen at start — Ollama, an OpenAI-compatible server, or
 * the built-in echo — plus {@code /health/live}, {@code /health/ready} (503 while the provider is
 * unreachable) and {@code /metrics}.
 *
 * <p>Every chat request gets a GenAI CLIENT span {@code chat <model>} under the request's SERVER
 * span, with the HTTP call to the provider beneath it, and the {@code gen_ai.client.*} metrics.
 *
 * <p>{@link #start} blocks until the server listens (and, for provider {@code auto}, for at most
 * {@link #AUTO_PROBE_TIMEOUT} while it looks for Ollama). Requests are served on virtual threads.
 * {@link #close()} stops the server; it is safe to call more than once.
 */
public final class Router implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Router.class);

  /** How long {@code auto} waits for Ollama to answer at start. */
  public static final Duration AUTO_PROBE_TIMEOUT = Duration.ofMillis(500);

  /** How long {@code /health/ready} waits for the provider. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

  private final Service service;
  private final Provider provider;
  private final ModelCatalog catalog;

  private Router(Service service, Provider provider, ModelCatalog catalog) {
    this.service = service;
    this.provider = provider;
    this.catalog = catalog;
  }

  /**
   * Chooses the provider, discovers its models and starts listening. A configured provider that
   * does not answer does not stop the start: it is logged, {@code /health/ready} reports it, and
   * chat requests get 503/502 until it answers.
   *
   * <p>Reads {@link RouterSettings#CAPTURE_CONTENT_ENV} once, here.
   *
   * @throws IllegalArgumentException when provider {@code openai} has no {@code openaiUrl}, or a
   *     URL is not http(s)
   */
  public static Router start(RouterSettings settings, Telemetry telemetry) {
    return start(
        settings,
        telemetry,
        RouterSettings.captureMessageContent(
            System.getenv(), System.getProperty(RouterSettings.CAPTURE_CONTENT_PROPERTY)));
  }

  static Router start(RouterSettings settings, Telemetry telemetry, boolean captureContent) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    if (settings.provider().equals("openai")
        && (settings.openaiUrl() == null || settings.openaiUrl().isBlank())) {
      throw new IllegalArgumentException(
          "provider 'openai' needs openaiUrl, e.g. http://127.0.0.1:8080/v1");
    }
    HttpClient http = TracedHttpClient.create(telemetry);
    Discovery found = discover(settings, http);
    Provider provider = found.provider();
    ModelCatalog catalog =
        new ModelCatalog(provider, found.models(), found.failure(), settings.defaultModel());
    GenAiTelemetry genAi = new GenAiTelemetry(provider, telemetry, captureContent);
    OpenAiEndpoints api = new OpenAiEndpoints(catalog, genAi, provider.name());
    Service service =
        Service.builder("router", telemetry)
            .host(settings.host())
            .port(settings.port())
            .maxBodyBytes(Service.DEFAULT_MAX_BODY_BYTES)
            .readiness(provider.name(), () -> untraced(() -> provider.models(READY_TIMEOUT)))
            .routes(
                cfg -> {
                  cfg.routes.post("/v1/chat/completions", api::chat);
                  cfg.routes.get("/v1/models", api::models);
                  cfg.routes.get("/v1/models/<model>", api::model);
                })
            .start();
    Router router = new Router(service, provider, catalog);
    log.info(
        "router on {} serves provider {} (default model: {}, message content capture: {})",
        router.url(),
        provider.name(),
        router.defaultModel().isEmpty() ? "none yet" : router.defaultModel(),
        captureContent ? "on" : "off");
    return router;
  }

  /** The port the router listens on (the real one when started on port 0). */
  public int port() {
    return service.port();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return service.url();
  }

  /** The provider chosen at start: "ollama", "openai" or "echo". */
  public String providerName() {
    return provider.name();
  }

  /**
   * The model used when a request names none: the configured one, else the first the provider
   * listed; empty when neither is known yet.
   */
  public String defaultModel() {
    return catalog.defaultModel();
  }

  @Override
  public void close() {
    service.close();
  }

  @Override
  public String toString() {
    return "Router{" + url() + ", " + provider + "}";
  }

  /** The chosen provider, the models it listed (null when it could not) and why not. */
  private record Discovery(Provider provider, List<Model> models, String failure) {}

  private static Discovery discover(RouterSettings s, HttpClient http) {
    Duration listTimeout =
        s.requestTimeout().compareTo(ModelCatalog.LIST_TIMEOUT) < 0
            ? s.requestTimeout()
            : ModelCatalog.LIST_TIMEOUT;
    return switch (s.provider()) {
      case "echo" -> listed(new EchoProvider(), listTimeout);
      case "ollama" ->
          listed(new OllamaProvider(s.ollamaUrl(), http, s.requestTimeout()), listTimeout);
      case "openai" ->
          listed(
              new OpenAiProvider(s.openaiUrl(), s.openaiKey(), http, s.requestTimeout()),
              listTimeout);
      default -> auto(s, http);
    };
  }

  private static Discovery auto(RouterSettings s, HttpClient http) {
    OllamaProvider ollama = new OllamaProvider(s.ollamaUrl(), http, s.requestTimeout());
    long start = System.nanoTime();
    try {
      List<Model> models = untraced(() -> ollama.models(AUTO_PROBE_TIMEOUT));
      log.info(
          "provider auto: Ollama at {} answered in {} ms with {} model(s); using ollama",
          s.ollamaUrl(),
          (System.nanoTime() - start) / 1_000_000,
          models.size());
      return new Discovery(ollama, models, null);
    } catch (ProviderException e) {
      log.info(
          "provider auto: no Ollama ({}); using the built-in echo provider — replies are not from"
              + " a model",
          e.getMessage());
      EchoProvider echo = new EchoProvider();
      return new Discovery(echo, echo.models(AUTO_PROBE_TIMEOUT), null);
    }
  }

  private static Discovery listed(Provider provider, Duration timeout) {
    try {
      List<Model> models = untraced(() -> provider.models(timeout));
      log.info("provider {}: {} model(s) found", provider.name(), models.size());
      return new Discovery(provider, models, null);
    } catch (ProviderException e) {
      log.warn(
          "provider {}: {}; starting anyway — /health/ready reports it down and chat requests"
              + " fail until it answers",
          provider.name(),
          e.getMessage());
      return new Discovery(provider, null, e.getMessage());
    }
  }

  /**
   * Runs start-up discovery and readiness probes under an unsampled parent, so that they make no
   * traces: they are polled, and a trace per poll would bury the traces people look for.
   */
  @SuppressWarnings("try") // the scope is only closed
  private static <T> T untraced(Supplier<T> call) {
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
