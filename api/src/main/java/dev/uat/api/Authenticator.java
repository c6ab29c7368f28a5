package dev.uat.api;

import dev.uat.auth.ApiKeyFormat;
import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.EventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.UatAttributes;
import dev.uat.web.HttpError;
import io.javalin.http.Context;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;

/**
 * Turns a request's {@code Authorization: Bearer} credential — an access token or an API key — into
 * a {@link Principal} through the platform's one {@link Credentials} validator (on the api's own
 * database: {@link LocalCredentialBackend}), in a span of its own; then checks that the credential
 * may use the route ({@link Access}) and applies the caller's request rate limit.
 *
 * <p>Revocations decided here (logout, password change, a revoked key…) are {@link #announce
 * announced}: applied to this validator at once and published on the event bus, so that router and
 * realtime drop access at once too. Thread-safe. Errors are {@link HttpError}s: 401 with {@code
 * WWW-Authenticate}, 403 for a credential without the route's scope, 429 past the rate limit, 503
 * when the database cannot answer.
 */
final class Authenticator {
  /** What a route needs of its caller's credential. docs/api.md has the route table. */
  enum Access {
    /** Any valid credential. */
    ANY,
    /** The {@code chat} scope: chatting, conversations. */
    CHAT,
    /** The {@code admin} scope: the audit trail. */
    ADMIN,
    /**
     * Managing the account itself (sessions, logout, profile, password, keys): an access token of a
     * login session, never an API key, whatever its scopes.
     */
    ACCOUNT
  }

  private final Credentials credentials;
  private final EventBus bus;
  private final RateLimiter requests;
  private final ApiMetrics metrics;
  private final Tracer tracer;

  /** {@code requestsPerMinute}: each user's request rate limit, 0 for none. */
  Authenticator(
      Credentials credentials,
      EventBus bus,
      int requestsPerMinute,
      ApiMetrics metrics,
      Telemetry telemetry) {
    this.requests = RateLimiter.perMinute(requestsPerMinute, n -> metrics.evicted("requests", n));
    this.tracer = telemetry.tracer();
    this.credentials = credentials;
    this.bus = bus;
    this.metrics = metrics;
  }

  /**
   * The caller, if its credential may use a route needing {@code access}: 401 with {@code
   * WWW-Authenticate} without a valid one, 403 without the scope, 429 past the rate limit.
   */
  Principal require(Context ctx, Access access) {
    Principal principal = authenticate(ctx);
    long wait = requests.acquire(principal.userId());
    if (wait > 0) {
      throw metrics.tooMany(ApiMetrics.Limit.REQUESTS, wait);
    }
    authorize(ctx, principal, access);
    return principal;
  }

  private static void authorize(Context ctx, Principal p, Access access) {
    String missing =
        switch (access) {
          case ANY -> null;
          case CHAT -> p.has("chat") ? null : "chat";
          case ADMIN -> p.has("admin") ? null : "admin";
          case ACCOUNT -> p.isApiKey() ? "account" : null;
        };
    if (missing == null) {
      return;
    }
    ctx.header(
        "WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + missing + "\"");
    throw new HttpError(
        403,
        "insufficient_scope",
        switch (access) {
          case ACCOUNT -> "API keys cannot manage the account; use a login session";
          case ADMIN -> "this needs an administrator's credential (the 'admin' scope)";
          default -> "this credential has no '" + missing + "' scope";
        });
  }

  /**
   * The caller, without any rate limit or scope check (introspection, which other components call
   * for every credential they see): 401 with {@code WWW-Authenticate}, or 503.
   */
  Principal authenticate(Context ctx) {
    Span span = tracer.spanBuilder("verify token").startSpan();
    try {
      String header = ctx.header("Authorization");
      span.setAttribute(
          UatAttributes.AUTH_CREDENTIAL,
          ApiKeyFormat.looksLikeKey(TokenVerifier.bearer(header)) ? "api_key" : "access_token");
      Principal principal = credentials.authenticate(header);
      span.setAttribute(UatAttributes.USER_ID, principal.userId());
      Span.current().setAttribute(UatAttributes.USER_ID, principal.userId());
      return principal;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw HttpError.unauthorized(
          "a valid access token or API key is required: " + e.getMessage());
    } catch (CredentialsUnavailableException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw HttpError.unavailable(
          "database_unavailable", "credentials cannot be checked right now");
    } finally {
      span.end();
    }
  }

  /** Ends access at once here and, through the event bus, in every other component. */
  void announce(Revocation revocation) {
    credentials.announce(bus, revocation);
  }

  /** Learns revocations that other api instances announce; close to stop. */
  AutoCloseable listen() {
    return credentials.listen(bus);
  }
}
