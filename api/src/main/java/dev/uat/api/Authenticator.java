package dev.uat.api;

import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.HttpError;
import io.javalin.http.Context;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a request's {@code Authorization: Bearer} credential — an access token or an API key — into
 * a {@link Principal}, in a span of its own, then applies the caller's request rate limit.
 *
 * <p>Access tokens are verified by signature (cached by {@link TokenVerifier}); their login session
 * must still be active (looked up at most every {@link #SESSION_RECHECK}), so a logout takes effect
 * within seconds. API keys are looked up by hash (answers kept {@link #KEY_TTL}).
 */
final class Authenticator {
  static final Duration SESSION_RECHECK = Duration.ofSeconds(5);
  static final Duration KEY_TTL = Duration.ofSeconds(30);
  static final int MAX_CACHED = 50_000;
  private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");
  private static final AttributeKey<String> CREDENTIAL =
      AttributeKey.stringKey("uat.auth.credential");

  private record Checked<T>(T value, long untilNanos) {}

  private final TokenVerifier verifier;
  private final Sessions sessions;
  private final ApiKeys keys;
  private final RateLimiter requests;
  private final Tracer tracer;
  private final ConcurrentHashMap<String, Checked<Boolean>> sessionState =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Checked<ApiKeys.ApiKey>> keyState =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> keyTouched = new ConcurrentHashMap<>();

  Authenticator(
      TokenVerifier verifier,
      Sessions sessions,
      ApiKeys keys,
      RateLimiter requests,
      Telemetry telemetry) {
    this.verifier = verifier;
    this.sessions = sessions;
    this.keys = keys;
    this.requests = requests;
    this.tracer = telemetry.tracer();
  }

  /** The caller, or a 401 with {@code WWW-Authenticate}; a 429 past the caller's rate limit. */
  Principal require(Context ctx) {
    Principal principal = authenticate(ctx);
    long wait = requests.acquire(principal.userId());
    if (wait > 0) {
      throw new HttpError(429, "rate_limited", "too many requests; retry in " + wait + " s", wait);
    }
    return principal;
  }

  /** The caller, who must hold the {@code admin} scope (403 otherwise). */
  Principal requireAdmin(Context ctx) {
    Principal p = require(ctx);
    if (!p.has("admin")) {
      throw HttpError.forbidden("this needs an administrator");
    }
    return p;
  }

  private Principal authenticate(Context ctx) {
    Span span = tracer.spanBuilder("verify token").startSpan();
    try {
      String credential = TokenVerifier.bearer(ctx.header("Authorization"));
      if (credential == null) {
        throw new InvalidTokenException("no bearer token");
      }
      Principal principal;
      if (ApiKeys.looksLikeKey(credential)) {
        span.setAttribute(CREDENTIAL, "api_key");
        principal = apiKey(credential);
      } else {
        span.setAttribute(CREDENTIAL, "access_token");
        principal = verifier.verifyAccess(credential);
        if (principal.sessionId() != null && !sessionActive(principal.sessionId())) {
          throw new InvalidTokenException("the session was ended");
        }
      }
      span.setAttribute(USER_ID, principal.userId());
      Span.current().setAttribute(USER_ID, principal.userId());
      return principal;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw HttpError.unauthorized(
          "a valid access token or API key is required: " + e.getMessage());
    } catch (SQLException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw HttpError.unavailable(
          "database_unavailable", "credentials cannot be checked right now");
    } finally {
      span.end();
    }
  }

  /** The key's principal; the key's id is the token id, its scopes the principal's. */
  Principal apiKey(String secret) throws InvalidTokenException, SQLException {
    String hash = ApiKeys.hash(secret);
    long now = System.nanoTime();
    Checked<ApiKeys.ApiKey> known = keyState.get(hash);
    ApiKeys.ApiKey key;
    if (known != null && known.untilNanos() - now > 0) {
      key = known.value();
    } else {
      key = keys.bySecret(secret).orElse(null);
      remember(keyState, hash, new Checked<>(key, now + KEY_TTL.toNanos()));
    }
    if (key == null) {
      throw new InvalidTokenException("unknown or revoked API key");
    }
    Long touched = keyTouched.get(key.id());
    if (touched == null || now - touched > Duration.ofMinutes(1).toNanos()) {
      keyTouched.put(key.id(), now);
      keys.touch(key.id(), Jdbc.now());
    }
    return new Principal(key.userId(), key.scopes(), key.id(), Instant.MAX);
  }

  private boolean sessionActive(String sessionId) throws SQLException {
    long now = System.nanoTime();
    Checked<Boolean> known = sessionState.get(sessionId);
    if (known != null && known.untilNanos() - now > 0) {
      return known.value();
    }
    boolean active = sessions.find(sessionId).map(s -> s.active(Jdbc.now())).orElse(false);
    remember(sessionState, sessionId, new Checked<>(active, now + SESSION_RECHECK.toNanos()));
    return active;
  }

  /** Forgets what is known of a session (this process ended it). */
  void sessionEnded(String sessionId) {
    sessionState.put(
        sessionId, new Checked<>(false, System.nanoTime() + Duration.ofDays(1).toNanos()));
  }

  /** Forgets every session answer (a user's sessions were all ended). */
  void sessionsChanged() {
    sessionState.clear();
  }

  /** Forgets a revoked key at once. */
  void keyRevoked() {
    keyState.clear();
  }

  private static <K, V> void remember(ConcurrentHashMap<K, V> map, K key, V value) {
    if (map.size() >= MAX_CACHED) {
      map.clear();
    }
    map.put(key, value);
  }
}
