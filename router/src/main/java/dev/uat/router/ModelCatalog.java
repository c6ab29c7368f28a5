package dev.uat.router;

import dev.uat.router.provider.Model;
import dev.uat.router.provider.Provider;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of the router's provider: discovered at start, refreshed when a request names an
 * unknown model or asks for the list, at most once per {@link #REFRESH_INTERVAL}. Resolves a
 * requested name ({@code llama3.2:latest}, {@code ollama/llama3.2:latest}, {@code llama3.2}, or
 * none) to the provider's own name.
 *
 * <p>Thread-safe: reads are lock-free; one refresh runs at a time and the others wait for it.
 */
final class ModelCatalog {
  private static final Logger log = LoggerFactory.getLogger(ModelCatalog.class);

  /** Shortest time between two refreshes. */
  static final Duration REFRESH_INTERVAL = Duration.ofSeconds(5);

  /** How long a refresh may wait for the provider. */
  static final Duration LIST_TIMEOUT = Duration.ofSeconds(5);

  private final Provider provider;
  private final String configuredDefault; // null: the first discovered
  private final ReentrantLock refreshing = new ReentrantLock();
  private volatile List<Model> models; // null until the provider listed them once
  private volatile String lastFailure;
  private volatile long lastRefreshNanos;

  /**
   * @param initial the models found at start, or null when the provider could not be listed
   * @param failure why the provider could not be listed (when {@code initial} is null)
   */
  ModelCatalog(Provider provider, List<Model> initial, String failure, String configuredDefault) {
    this.provider = provider;
    this.models = initial == null ? null : List.copyOf(initial);
    this.lastFailure = failure == null ? provider.name() + " has not been listed yet" : failure;
    this.configuredDefault = configuredDefault == null ? null : stripPrefix(configuredDefault);
    // the first request-driven refresh may run at once
    this.lastRefreshNanos = System.nanoTime() - REFRESH_INTERVAL.toNanos();
  }

  /** The model for requests that name none; empty when none is configured or known. */
  String defaultModel() {
    if (configuredDefault != null) {
      return configuredDefault;
    }
    List<Model> known = models;
    return known == null || known.isEmpty() ? "" : known.getFirst().id();
  }

  /**
   * The models, refreshed when the last refresh is older than {@link #REFRESH_INTERVAL}.
   *
   * @throws HttpError 503 when the provider has never been listed and cannot be now
   */
  List<Model> list() {
    refreshIfStale();
    List<Model> known = models;
    if (known == null) {
      throw HttpError.unavailable("provider_unavailable", lastFailure);
    }
    return known;
  }

  /**
   * The provider's name for the requested model ({@code null}: the default).
   *
   * @throws HttpError 404 {@code model_not_found} when the provider does not serve it
   */
  String resolve(String requested) {
    String name = requested == null ? defaultModel() : stripPrefix(requested.strip());
    String found = find(name);
    if (found == null) {
      refreshIfStale();
      found = find(name);
    }
    if (found != null) {
      return found;
    }
    List<Model> known = models;
    if (known == null) {
      // never listed: let the provider itself answer (it is down, most likely, and says so)
      if (name.isEmpty()) {
        throw HttpError.unavailable(
            "provider_unavailable", lastFailure + "; and no default model is configured");
      }
      return name;
    }
    if (name.isEmpty()) {
      throw new HttpError(
          404,
          "model_not_found",
          provider.name() + " has no models and no default model is configured");
    }
    throw new HttpError(
        404,
        "model_not_found",
        "model '"
            + (requested == null ? name : requested)
            + "' is not served by "
            + provider.name()
            + "; available: "
            + known.stream().limit(20).map(Model::id).collect(Collectors.joining(", "))
            + " (GET /v1/models)");
  }

  private String find(String name) {
    List<Model> known = models;
    if (known == null || name.isEmpty()) {
      return null;
    }
    String latest = name.indexOf(':') < 0 ? name + ":latest" : null; // Ollama's default tag
    for (Model model : known) {
      if (model.id().equals(name) || model.id().equals(latest)) {
        return model.id();
      }
    }
    return null;
  }

  /** {@code ollama/llama3.2:latest} → {@code llama3.2:latest} when this is the ollama provider. */
  private String stripPrefix(String name) {
    String prefix = provider.name() + "/";
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  private void refreshIfStale() {
    refreshing.lock();
    try {
      long now = System.nanoTime();
      if (now - lastRefreshNanos < REFRESH_INTERVAL.toNanos()) {
        return;
      }
      lastRefreshNanos = now;
      try {
        models = provider.models(LIST_TIMEOUT);
      } catch (ProviderException e) {
        lastFailure = e.getMessage();
        log.warn("could not refresh the model list: {}", e.getMessage());
      }
    } finally {
      refreshing.unlock();
    }
  }
}
