package dev.uat.api;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/keys}: API keys for programs (usable wherever an access token is, on {@code /api} and
 * {@code /v1}). The secret is shown once, at creation.
 */
final class KeyRoutes {
  static final Set<String> SCOPES = Set.of("chat", "admin");

  /** Lifetime of a key with the {@code admin} scope when the request names none. */
  static final int ADMIN_DEFAULT_DAYS = 30;

  /** Longest lifetime of a key with the {@code admin} scope. */
  static final int ADMIN_MAX_DAYS = 90;

  /** Longest lifetime a {@code chat} key may ask for (without one it never expires). */
  static final int CHAT_MAX_DAYS = 365;

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record CreateKey(String name, List<String> scopes, Integer expiresInDays) {}

  /** A key as listed, and once, at its creation, with its secret {@code key}. */
  record KeyView(@JsonUnwrapped ApiKeys.ApiKey apiKey, String key) {}

  private final ApiKeys keys;
  private final Authenticator auth;
  private final Audit audit;
  private final ApiMetrics metrics;

  KeyRoutes(ApiKeys keys, Authenticator auth, Audit audit, ApiMetrics metrics) {
    this.keys = keys;
    this.auth = auth;
    this.audit = audit;
    this.metrics = metrics;
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/keys", this::create);
    cfg.routes.get("/api/keys", this::list);
    cfg.routes.get("/api/keys/self", this::self);
    cfg.routes.delete("/api/keys/{id}", this::revoke);
  }

  private void create(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    if (p.sessionId() == null) {
      throw HttpError.forbidden("API keys are created from a login session, not with another key");
    }
    CreateKey req = Json.read(ctx.bodyAsBytes(), CreateKey.class);
    String name = req.name() == null ? null : req.name().strip();
    if (name == null || name.isEmpty() || name.length() > 100) {
      throw HttpError.invalid("field 'name' is required, 1 to 100 characters");
    }
    Set<String> scopes = new LinkedHashSet<>(req.scopes() == null ? List.of("chat") : req.scopes());
    if (scopes.isEmpty() || scopes.contains(null) || !SCOPES.containsAll(scopes)) {
      throw HttpError.invalid("field 'scopes' may hold 'chat' and 'admin'");
    }
    if (scopes.contains("admin") && !p.has("admin")) {
      throw HttpError.forbidden("only an administrator may create a key with the 'admin' scope");
    }
    Instant expiresAt = expiry(scopes, req.expiresInDays());
    if (keys.countActive(p.userId()) >= ApiKeys.MAX_KEYS_PER_USER) {
      metrics.hit(ApiMetrics.Limit.KEYS_PER_USER);
      throw HttpError.conflict(
          "too_many_keys",
          "at most " + ApiKeys.MAX_KEYS_PER_USER + " active keys; revoke one first");
    }
    ApiKeys.Created created = keys.create(p.userId(), name, scopes, expiresAt);
    audit.record(
        ctx, p.userId(), Audit.KEY_CREATED, "key " + created.key().id() + " (" + name + ")");
    ctx.status(201).json(new KeyView(created.key(), created.secret()));
  }

  /**
   * When a new key expires: keys with the {@code admin} scope always do ({@value
   * #ADMIN_DEFAULT_DAYS} days unless asked, {@value #ADMIN_MAX_DAYS} at most); other keys when
   * asked ({@value #CHAT_MAX_DAYS} days at most), else never (null).
   */
  static Instant expiry(Set<String> scopes, Integer days) {
    boolean admin = scopes.contains("admin");
    int max = admin ? ADMIN_MAX_DAYS : CHAT_MAX_DAYS;
    if (days != null && (days < 1 || days > max)) {
      throw HttpError.invalid(
          "field 'expires_in_days' must be 1 to "
              + max
              + (admin ? " for a key with the 'admin' scope" : ""));
    }
    if (days == null && !admin) {
      return null;
    }
    return Jdbc.now().plus(Duration.ofDays(days == null ? ADMIN_DEFAULT_DAYS : days));
  }

  private void list(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    List<KeyView> out = new ArrayList<>();
    for (ApiKeys.ApiKey k : keys.list(p.userId())) {
      out.add(new KeyView(k, null));
    }
    ctx.json(Map.of("data", out));
  }

  /**
   * What the API key the request is made with is, for the program holding it. No component of the
   * platform calls this (router and realtime use {@code GET /api/auth/introspect}); it stays as
   * public API (docs/api.md).
   */
  private void self(Context ctx) {
    Principal p = auth.require(ctx, Authenticator.Access.ANY);
    if (!p.isApiKey()) {
      throw HttpError.invalid("this endpoint describes the API key it is called with");
    }
    Map<String, Object> limits = new LinkedHashMap<>();
    limits.put("requests_per_minute", null);
    limits.put("tokens_per_minute", null);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("key_id", p.tokenId());
    body.put("user_id", p.userId());
    body.put("scopes", p.scopes());
    body.put(
        "expires_at", p.expiresAt().equals(Instant.MAX) ? null : p.expiresAt().getEpochSecond());
    body.put("rate_limit", limits);
    ctx.json(body);
  }

  private void revoke(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    String id = ctx.pathParam("id");
    if (id.length() > 36 || !keys.revoke(id, p.userId())) {
      throw HttpError.notFound("API key not found");
    }
    auth.announce(Revocation.key(id));
    audit.record(ctx, p.userId(), Audit.KEY_REVOKED, "key " + id);
    ctx.status(204);
  }
}
