package dev.uat.router;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.uat.router.provider.Model;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of every provider instance, merged with the configured aliases. Resolves what a
 * request names into a {@link Route}:
 *
 * <ul>
 *   <li>an alias ({@code fast}) → its chain, each entry a step;
 *   <li>{@code instance/model} (or {@code kind/model}) → that instance's (or kind's) deployment;
 *   <li>a bare model ({@code llama3.2}, Ollama's {@code :latest} implied) → every instance that
 *       serves it, as one step of equivalent deployments;
 *   <li>nothing → the default model or alias.
 * </ul>
 *
 * <p>Model lists are discovered at start, refreshed in the background (see {@link Router}) and on
 * demand — when a request names an unknown model or asks for the list — at most once per {@link
 * #REFRESH_INTERVAL}. A name no listed instance serves goes to the instances that could never be
 * listed (they answer for themselves, usually "unreachable"), else it is a 404.
 *
 * <p>Deployments (each with a breaker and a latency average) are remembered: those of listed models
 * and configured alias entries in a map bounded by what the providers list and the configuration
 * says; those of names nobody listed (passed through to an instance that was never listed, so any
 * name a client sends) in a cache bounded in bytes ({@link #UNLISTED_BYTES}), whose evictions are
 * counted. Only listed deployments carry their model name into metric labels (see {@link
 * Deployment#listed()}).
 *
 * <p>Thread-safe: reads are lock-free; one refresh runs at a time and the others wait for it.
 */
final class ModelCatalog {
  private static final Logger log = LoggerFactory.getLogger(ModelCatalog.class);

  /** Shortest time between two refreshes caused by requests. */
  static final Duration REFRESH_INTERVAL = Duration.ofSeconds(5);

  /** How long a refresh may wait for a provider. */
  static final Duration LIST_TIMEOUT = Duration.ofSeconds(5);

  /** Most listed deployments remembered (each holds a breaker and a latency average). */
  static final int MAX_DEPLOYMENTS = 10_000;

  /** Byte budget of the deployments of unlisted model names (client-chosen). */
  static final long UNLISTED_BYTES = 1024 * 1024;

  /** Makes a deployment: of a listed (or configured) model, or of a name nobody listed. */
  @FunctionalInterface
  interface DeploymentFactory {
    Deployment make(ProviderInstance instance, String model, boolean listed);
  }

  /** What owns alias entries in {@code /v1/models}. */
  static final String ALIAS_OWNER = "uat-router";

  private final List<ProviderInstance> instances;
  private final Map<String, ProviderInstance> byName = new LinkedHashMap<>();
  private final Map<String, List<String>> aliases;
  private final String configuredDefault; // null: the first discovered
  private final DeploymentFactory newDeployment;
  private final ConcurrentHashMap<String, Deployment> deployments = new ConcurrentHashMap<>();
  private final Cache<String, Deployment> unlisted;
  private final RouterMetrics metrics; // null in tests that need none
  private final ReentrantLock refreshing = new ReentrantLock();
  private volatile long lastRefreshNanos;

  ModelCatalog(
      List<ProviderInstance> instances,
      Map<String, List<String>> aliases,
      String configuredDefault,
      DeploymentFactory newDeployment,
      RouterMetrics metrics) {
    this(instances, aliases, configuredDefault, newDeployment, metrics, UNLISTED_BYTES);
  }

  /** With the byte budget of unlisted deployments (tests). */
  ModelCatalog(
      List<ProviderInstance> instances,
      Map<String, List<String>> aliases,
      String configuredDefault,
      DeploymentFactory newDeployment,
      RouterMetrics metrics,
      long unlistedBytes) {
    this.instances = List.copyOf(instances);
    for (ProviderInstance i : instances) {
      byName.put(i.name(), i);
    }
    this.aliases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
    this.configuredDefault =
        configuredDefault == null || configuredDefault.isBlank() ? null : configuredDefault.strip();
    this.newDeployment = newDeployment;
    this.metrics = metrics;
    this.unlisted =
        Caffeine.newBuilder()
            .maximumWeight(unlistedBytes)
            .<String, Deployment>weigher((k, d) -> Deployment.weight(k))
            .executor(Runnable::run)
            .<String, Deployment>evictionListener(
                (k, d, cause) -> {
                  if (cause == RemovalCause.SIZE && metrics != null) {
                    metrics.evicted(RouterMetrics.Structure.UNLISTED_DEPLOYMENTS);
                  }
                })
            .build();
    // the first request-driven refresh may run at once
    this.lastRefreshNanos = System.nanoTime() - REFRESH_INTERVAL.toNanos();
  }

  List<ProviderInstance> instances() {
    return instances;
  }

  Map<String, List<String>> aliases() {
    return aliases;
  }

  /**
   * The deployments of listed models and configured alias entries (for the breaker metrics, whose
   * labels they may carry); never those of names a client made up.
   */
  Iterable<Deployment> deployments() {
    return deployments.values();
  }

  /** Estimated bytes held by deployments of unlisted names. */
  long unlistedBytes() {
    return unlisted.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  /** The model or alias for requests that name none; empty when none is configured or known. */
  String defaultModel() {
    if (configuredDefault != null) {
      return stripOwnPrefix(configuredDefault);
    }
    for (ProviderInstance i : instances) {
      List<Model> known = i.models();
      if (known != null && !known.isEmpty()) {
        return known.getFirst().id();
      }
    }
    return "";
  }

  /** A configured default with the only instance's prefix is the bare name (nicer in spans). */
  private String stripOwnPrefix(String name) {
    if (instances.size() == 1) {
      String prefix = instances.getFirst().name() + "/";
      if (name.startsWith(prefix)) {
        return name.substring(prefix.length());
      }
    }
    return name;
  }

  /**
   * Every model, once, in instance order, then the aliases; refreshed when stale.
   *
   * @throws HttpError 503 when no instance could ever be listed
   */
  List<Model> list() {
    refreshIfStale();
    Map<String, Model> merged = new LinkedHashMap<>();
    boolean anyListed = false;
    for (ProviderInstance i : instances) {
      List<Model> known = i.models();
      if (known != null) {
        anyListed = true;
        for (Model m : known) {
          merged.putIfAbsent(m.id(), m);
        }
      }
    }
    if (!anyListed) {
      throw HttpError.unavailable(
          "provider_unavailable",
          instances.stream().map(ProviderInstance::lastFailure).collect(Collectors.joining("; ")));
    }
    List<Model> out = new ArrayList<>(merged.values());
    for (String alias : aliases.keySet()) {
      if (!merged.containsKey(alias)) {
        out.add(new Model(alias, 0, ALIAS_OWNER));
      }
    }
    return out;
  }

  /** One model or alias by any name a request may use, or null. */
  Model find(String requested) {
    String name = requested.strip();
    if (aliases.containsKey(name)) {
      return new Model(name, 0, ALIAS_OWNER);
    }
    List<Deployment> step = step(name);
    if (step.isEmpty()) {
      refreshIfStale();
      step = step(name);
    }
    for (Deployment d : step) {
      List<Model> known = d.instance().models();
      if (known != null) {
        for (Model m : known) {
          if (m.id().equals(d.model())) {
            return m;
          }
        }
      }
    }
    return null;
  }

  /**
   * Where a request for {@code requested} (null: the default) may go.
   *
   * @throws HttpError 404 {@code model_not_found} when nothing serves it
   */
  Route resolve(String requested) {
    String name = requested == null ? defaultModel() : requested.strip();
    if (name.isEmpty()) {
      if (instances.stream().allMatch(i -> i.models() == null)) {
        throw HttpError.unavailable(
            "provider_unavailable",
            instances.getFirst().lastFailure() + "; and no default model is configured");
      }
      throw new HttpError(
          404, "model_not_found", "no models are served and no default model is configured");
    }
    List<String> chain = aliases.get(name);
    if (chain != null) {
      List<List<Deployment>> steps = aliasSteps(chain);
      if (steps.isEmpty()) {
        refreshIfStale();
        steps = aliasSteps(chain);
      }
      if (steps.isEmpty()) {
        throw new HttpError(
            404,
            "model_not_found",
            "alias '" + name + "' names no model that is served now: " + String.join(", ", chain));
      }
      return new Route(name, steps);
    }
    List<Deployment> step = step(name);
    if (step.isEmpty()) {
      refreshIfStale();
      step = step(name);
    }
    if (step.isEmpty()) {
      step = passThrough(name);
    }
    if (step.isEmpty()) {
      throw new HttpError(
          404,
          "model_not_found",
          "model '"
              + name
              + "' is not served by "
              + instances.stream().map(ProviderInstance::name).collect(Collectors.joining(", "))
              + "; available: "
              + available()
              + " (GET /v1/models)");
    }
    return new Route(name, List.of(step));
  }

  private String available() {
    Set<String> names = new LinkedHashSet<>();
    for (ProviderInstance i : instances) {
      List<Model> known = i.models();
      if (known != null) {
        known.forEach(m -> names.add(m.id()));
      }
    }
    names.addAll(aliases.keySet());
    return names.stream().limit(20).collect(Collectors.joining(", "));
  }

  private List<List<Deployment>> aliasSteps(List<String> chain) {
    List<List<Deployment>> steps = new ArrayList<>(chain.size());
    for (String entry : chain) {
      List<Deployment> step = step(entry);
      if (step.isEmpty()) {
        step = explicit(entry, true); // an instance that was never listed still gets its turn
      }
      if (!step.isEmpty()) {
        steps.add(step);
      }
    }
    return steps;
  }

  /** The deployments serving a non-alias name, from what is listed now; empty when none. */
  private List<Deployment> step(String name) {
    int slash = name.indexOf('/');
    if (slash > 0) {
      String prefix = name.substring(0, slash);
      String model = name.substring(slash + 1);
      ProviderInstance named = byName.get(prefix);
      if (named != null) {
        String found = named.find(model);
        return found == null ? List.of() : List.of(deployment(named, found));
      }
      List<Deployment> ofKind = new ArrayList<>(2);
      for (ProviderInstance i : instances) {
        if (i.kind().equals(prefix)) {
          String found = i.find(model);
          if (found != null) {
            ofKind.add(deployment(i, found));
          }
        }
      }
      if (!ofKind.isEmpty()) {
        return ofKind;
      }
    }
    List<Deployment> out = new ArrayList<>(2);
    for (ProviderInstance i : instances) {
      String found = i.find(name);
      if (found != null) {
        out.add(deployment(i, found));
      }
    }
    return out;
  }

  /**
   * {@code instance/model} for an instance that was never listed: let it answer.
   *
   * @param configured whether the name comes from the configuration (else from a request)
   */
  private List<Deployment> explicit(String name, boolean configured) {
    int slash = name.indexOf('/');
    if (slash > 0) {
      ProviderInstance named = byName.get(name.substring(0, slash));
      if (named != null && named.models() == null) {
        String model = name.substring(slash + 1);
        return List.of(configured ? deployment(named, model) : unlisted(named, model));
      }
    }
    return List.of();
  }

  /** A name nothing listed serves goes to the instances never listed, which answer themselves. */
  private List<Deployment> passThrough(String name) {
    boolean configured = name.equals(configuredDefault);
    List<Deployment> explicit = explicit(name, configured);
    if (!explicit.isEmpty()) {
      return explicit;
    }
    List<Deployment> out = new ArrayList<>(1);
    for (ProviderInstance i : instances) {
      if (i.models() == null) {
        String model =
            name.startsWith(i.kind() + "/") ? name.substring(i.kind().length() + 1) : name;
        out.add(configured ? deployment(i, model) : unlisted(i, model));
      }
    }
    return out;
  }

  /** The deployment of a name no provider listed: remembered within {@link #UNLISTED_BYTES}. */
  private Deployment unlisted(ProviderInstance instance, String model) {
    return unlisted.get(
        instance.name() + "/" + model,
        k -> {
          if (metrics != null) {
            metrics.refused(RouterMetrics.Refusal.UNLISTED_MODEL_LABEL);
          }
          return newDeployment.make(instance, model, false);
        });
  }

  private Deployment deployment(ProviderInstance instance, String model) {
    String key = instance.name() + "/" + model;
    Deployment d = deployments.get(key);
    if (d != null) {
      return d;
    }
    if (deployments.size() >= MAX_DEPLOYMENTS) {
      return newDeployment.make(instance, model, true); // not remembered: the map stays bounded
    }
    return deployments.computeIfAbsent(key, k -> newDeployment.make(instance, model, true));
  }

  /** Lists every instance now (for the background refresh and the start). */
  void refreshAll() {
    refreshing.lock();
    try {
      refreshUnderLock(System.nanoTime());
    } finally {
      refreshing.unlock();
    }
  }

  private void refreshIfStale() {
    if (System.nanoTime() - lastRefreshNanos < REFRESH_INTERVAL.toNanos()) {
      return;
    }
    refreshing.lock();
    try {
      long now = System.nanoTime();
      if (now - lastRefreshNanos >= REFRESH_INTERVAL.toNanos()) {
        refreshUnderLock(now);
      }
    } finally {
      refreshing.unlock();
    }
  }

  private void refreshUnderLock(long now) {
    lastRefreshNanos = now;
    for (ProviderInstance i : instances) {
      try {
        i.refresh(LIST_TIMEOUT);
      } catch (ProviderException e) {
        log.warn("could not refresh the model list of {}: {}", i.name(), e.getMessage());
      }
    }
  }
}
