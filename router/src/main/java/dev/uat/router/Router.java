package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.CredentialBackend;
import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.router.provider.EchoProvider;
import dev.uat.router.provider.ProviderException;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LLM router: an OpenAI-compatible HTTP API ({@code POST /v1/chat/completions} whole or
 * streamed, {@code POST /v1/embeddings}, {@code GET /v1/models}) in front of one or more provider
 * instances — Ollama, OpenAI-compatible servers, the built-in echo — with aliases, fallback chains,
 * retries under a budget, circuit breakers, latency-aware choice among equivalent deployments,
 * per-key limits, an exact-match response cache, usage records and GenAI telemetry. Plus {@code
 * /health/live}, {@code /health/ready} and {@code /metrics}.
 *
 * <p>Every request (chat, streamed chat, embeddings) passes the interceptor chain rate limit →
 * accounting → cache → routing, whose attempts are provider calls decorated by their GenAI
 * telemetry; every upstream attempt is a GenAI CLIENT span {@code chat <model>} under the request's
 * SERVER span, with the HTTP call to the provider beneath it.
 *
 * <p>{@link #start} blocks until the server listens (and, for provider {@code auto}, for at most
 * {@link #AUTO_PROBE_TIMEOUT} while it looks for Ollama). Requests are served on virtual threads.
 * {@link #close()} stops the server and writes the queued usage records; it is safe to call more
 * than once.
 */
public final class Router implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Router.class);

  /** How long {@code auto} waits for Ollama to answer at start. */
  public static final Duration AUTO_PROBE_TIMEOUT = Duration.ofMillis(500);

  /** How long {@code /health/ready} waits for a provider. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

  private final Service service;
  private final List<ProviderInstance> instances;
  private final ModelCatalog catalog;
  private final List<AutoCloseable> resources;
  private final UsageStore usageStore;
  private boolean closed;

  private Router(
      Service service,
      List<ProviderInstance> instances,
      ModelCatalog catalog,
      List<AutoCloseable> resources,
      UsageStore usageStore) {
    this.service = service;
    this.instances = instances;
    this.catalog = catalog;
    this.resources = resources;
    this.usageStore = usageStore;
  }

  /**
   * Builds the providers, discovers their models and starts listening. A configured provider that
   * does not answer does not stop the start: it is logged, {@code /health/ready} reports it, and
   * requests routed to it fail (or fall back) until it answers.
   *
   * <p>Reads {@link RouterSettings#CAPTURE_CONTENT_ENV} once, here.
   *
   * @param credentials checks every {@code /v1} credential: usually {@link #credentials}, which
   *     asks the api at {@code settings.apiUrl()}; subscribe it to the platform's event bus ({@link
   *     Credentials#listen}) so that revocations apply at once rather than within {@link
   *     Credentials#RECHECK}. The router does not close it.
   * @throws IllegalArgumentException when the settings or the configuration file are not usable
   *     (named in the message)
   */
  public static Router start(
      RouterSettings settings, Telemetry telemetry, Credentials credentials) {
    return start(
        settings,
        telemetry,
        credentials,
        RouterSettings.captureMessageContent(
            System.getenv(), System.getProperty(RouterSettings.CAPTURE_CONTENT_PROPERTY)),
        System::nanoTime);
  }

  /**
   * {@link #start(RouterSettings, Telemetry, Credentials)} with {@link #credentials(String,
   * Telemetry, TokenVerifier) credentials(settings.apiUrl(), telemetry, verifier)}, not subscribed
   * to any bus: revocations apply within {@link Credentials#RECHECK}.
   *
   * @param verifier checks token signatures: {@code TokenVerifier.local(keys)} in one JVM with the
   *     api, {@code TokenVerifier.remote(apiUrl + "/api/auth/jwks", "uat-router")} alone
   */
  public static Router start(RouterSettings settings, Telemetry telemetry, TokenVerifier verifier) {
    requireNonNull(settings, "settings");
    return start(settings, telemetry, credentials(settings.apiUrl(), telemetry, verifier));
  }

  /**
   * The router's credential checks: token signatures by {@code verifier}, login sessions and API
   * keys asked of the api at {@code apiUrl} ({@code GET /api/auth/introspect}) with the router's
   * traced HTTP client, answers believed {@link Credentials#RECHECK} at most. With no {@code
   * apiUrl}, API keys and session-bound tokens are answered 503 {@code auth_unavailable} (nothing
   * can tell whether they are still live); tokens without a session are checked by signature.
   */
  public static Credentials credentials(
      String apiUrl, Telemetry telemetry, TokenVerifier verifier) {
    requireNonNull(telemetry, "telemetry");
    requireNonNull(verifier, "verifier");
    return apiUrl == null
        ? new Credentials(verifier, NO_API)
        : Credentials.remote(verifier, apiUrl, telemetry);
  }

  /** The backend of a router without an api: nothing can be checked. */
  private static final CredentialBackend NO_API =
      new CredentialBackend() {
        @Override
        public Optional<Principal> apiKey(String secret) throws CredentialsUnavailableException {
          throw unavailable();
        }

        @Override
        public boolean sessionActive(Principal principal, String accessToken)
            throws CredentialsUnavailableException {
          throw unavailable();
        }

        private CredentialsUnavailableException unavailable() {
          return new CredentialsUnavailableException(
              "this router has no api-url to ask whether it is still live", null);
        }

        @Override
        public String toString() {
          return "no api";
        }
      };

  static Router start(
      RouterSettings settings, Telemetry telemetry, TokenVerifier verifier, boolean capture) {
    return start(settings, telemetry, verifier, capture, System::nanoTime);
  }

  static Router start(
      RouterSettings settings,
      Telemetry telemetry,
      TokenVerifier verifier,
      boolean captureContent,
      LongSupplier clock) {
    requireNonNull(settings, "settings");
    return start(
        settings,
        telemetry,
        credentials(settings.apiUrl(), telemetry, verifier),
        captureContent,
        clock);
  }

  static Router start(
      RouterSettings settings,
      Telemetry telemetry,
      Credentials credentials,
      boolean captureContent,
      LongSupplier clock) {
    requireNonNull(settings, "settings");
    requireNonNull(telemetry, "telemetry");
    requireNonNull(credentials, "credentials");
    RouterConfig config =
        settings.configFile() == null
            ? RouterConfig.defaults()
            : RouterConfig.load(settings.configFile());
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      return build(settings, config, telemetry, credentials, captureContent, clock, resources);
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  private static Router build(
      RouterSettings settings,
      RouterConfig config,
      Telemetry telemetry,
      Credentials credentials,
      boolean captureContent,
      LongSupplier clock,
      List<AutoCloseable> resources) {
    List<ProviderInstance> instances =
        config.providers().isEmpty()
            ? List.of(ProviderInstances.flat(settings, telemetry))
            : ProviderInstances.configured(config.providers(), telemetry);
    if (instances.stream().anyMatch(i -> i.kind().equals(EchoProvider.NAME))) {
      TokenEstimator.warmUp(); // echo reports no usage: every answer is estimated
    }
    RouterMetrics metrics = new RouterMetrics(telemetry);
    resources.add(metrics::close);
    RouterConfig.Routing routingConfig = config.routing();
    ModelCatalog catalog =
        new ModelCatalog(
            instances,
            config.aliases(),
            settings.defaultModel() != null ? settings.defaultModel() : config.defaultModel(),
            (instance, model, listed) -> {
              Deployment[] made = new Deployment[1];
              CircuitBreaker breaker =
                  new CircuitBreaker(
                      instance.name() + "/" + model,
                      routingConfig.breakerFailureThreshold(),
                      routingConfig.breakerOpenFor().toNanos(),
                      clock,
                      (b, from, to) -> {
                        metrics.transition(made[0], to);
                        log.info("circuit of {}: {} → {}", b.name(), from.label, to.label);
                      });
              made[0] = new Deployment(instance, model, breaker, listed);
              return made[0];
            },
            metrics);
    metrics.observeBreakers(telemetry, catalog::deployments);
    ProviderInstances.discover(instances);

    UsageStore store = new JdbcUsageStore(settings.effectiveJdbcUrl(), telemetry);
    resources.add(store);
    UsageRecorder recorder = new UsageRecorder(store, metrics, telemetry);
    resources.add(0, recorder); // closed before the store
    ResponseCache cache = null;
    if (config.cache().enabled()) {
      // in process; with Redis, it is where answers go while Redis cannot be used
      CaffeineResponseCache local =
          new CaffeineResponseCache(config.cache().maxBytes(), config.cache().ttl(), metrics);
      cache =
          settings.redisUrl() != null
              ? new RedisResponseCache(settings.redisUrl(), config.cache().ttl(), telemetry, local)
              : local;
      resources.add(cache);
    }
    RateLimiter limiter = new RateLimiter(config.limits(), clock, metrics);
    Routing routing =
        new Routing(
            routingConfig,
            new RetryBudget(
                routingConfig.retryBudgetRatio(), routingConfig.retryBudgetMinPerSecond(), clock),
            metrics);
    ProviderCall call =
        new GenAiTelemetry(new CallingProvider(), telemetry, captureContent, metrics);
    List<Interceptor> interceptors = new ArrayList<>();
    interceptors.add(Interceptors.rateLimit(limiter));
    interceptors.add(Interceptors.accounting(recorder));
    if (cache != null) {
      interceptors.add(Interceptors.cache(cache, metrics));
    }
    interceptors.add(Interceptors.routing(routing, call));
    Authenticator auth = new Authenticator(credentials);
    OpenAiEndpoints api =
        new OpenAiEndpoints(
            auth,
            catalog,
            interceptors,
            metrics,
            new InFlightBudget(InFlightBudget.MAX_BYTES, Service.DEFAULT_MAX_BODY_BYTES, metrics));

    ScheduledExecutorService discovery =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("uat-router-discovery").unstarted(r));
    long every = routingConfig.discoveryInterval().toNanos();
    discovery.scheduleWithFixedDelay(
        () ->
            ProviderInstances.untraced(
                () -> {
                  catalog.refreshAll();
                  return null;
                }),
        every,
        every,
        TimeUnit.NANOSECONDS);
    resources.add(0, discovery::shutdownNow);

    Service.Builder builder =
        Service.builder("router", telemetry)
            .host(settings.host())
            .port(settings.port())
            .maxBodyBytes(Service.DEFAULT_MAX_BODY_BYTES)
            .exposure(settings.exposure());
    if (instances.size() == 1) {
      ProviderInstance only = instances.getFirst();
      builder.readiness(
          only.name(), () -> ProviderInstances.untraced(() -> only.refresh(READY_TIMEOUT)));
    } else {
      builder.readiness("providers", () -> anyProviderAnswers(instances));
    }
    builder.readiness("usage-db", store::check);
    if (cache instanceof RedisResponseCache redis) {
      builder.readiness("redis", redis::check);
    }
    Service service =
        builder
            .routes(
                cfg -> {
                  cfg.routes.post("/v1/chat/completions", api::chat);
                  cfg.routes.post("/v1/embeddings", api::embeddings);
                  cfg.routes.get("/v1/models", api::models);
                  cfg.routes.get("/v1/models/<model>", api::model);
                })
            .start();
    Router router = new Router(service, instances, catalog, resources, store);
    log.info(
        "router on {} serves {} (default model: {}, aliases: {}, cache: {}, usage: {}, message"
            + " content capture: {})",
        router.url(),
        instances.stream()
            .map(i -> i.name() + (i.name().equals(i.kind()) ? "" : " (" + i.kind() + ")"))
            .collect(Collectors.joining(", ")),
        router.defaultModel().isEmpty() ? "none yet" : router.defaultModel(),
        config.aliases().isEmpty() ? "none" : String.join(", ", config.aliases().keySet()),
        cache == null ? "off" : cache,
        settings.jdbcUrl() != null ? "JDBC" : settings.dataDir() != null ? "H2 file" : "memory",
        captureContent ? "on" : "off");
    return router;
  }

  private static void anyProviderAnswers(List<ProviderInstance> instances) {
    List<String> down = new ArrayList<>();
    for (ProviderInstance i : instances) {
      try {
        ProviderInstances.untraced(() -> i.refresh(READY_TIMEOUT));
        return;
      } catch (ProviderException e) {
        down.add(e.getMessage());
      }
    }
    throw new IllegalStateException("no provider answers: " + String.join("; ", down));
  }

  /** The port the router listens on (the real one when started on port 0). */
  public int port() {
    return service.port();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return service.url();
  }

  /**
   * The kind of the first provider instance: "ollama", "openai" or "echo" (with the flat settings,
   * the one provider chosen at start).
   */
  public String providerName() {
    return instances.getFirst().kind();
  }

  /** The names of the provider instances, in configuration order. */
  public List<String> providerInstances() {
    return instances.stream().map(ProviderInstance::name).toList();
  }

  /**
   * The model (or alias) used when a request names none: the configured one, else the first a
   * provider listed; empty when neither is known yet.
   */
  public String defaultModel() {
    return catalog.defaultModel();
  }

  UsageStore usageStore() {
    return usageStore;
  }

  ModelCatalog catalog() {
    return catalog;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    service.close();
    closeAll(resources);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("stopping {} failed", r, e);
      }
    }
  }

  @Override
  public String toString() {
    return "Router{" + url() + ", " + providerInstances() + "}";
  }
}
