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

/** Turns a request's bearer token into a {@link Principal}, in a span of its own. */
final class Authenticator {
  private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");

  private final TokenVerifier verifier;
  private final Tracer tracer;

  Authenticator(TokenVerifier verifier, Telemetry telemetry) {
    this.verifier = verifier;
    this.tracer = telemetry.tracer();
  }

  /** The caller, or a 401 with {@code WWW-Authenticate}. */
  Principal require(Context ctx) {
    Span span = tracer.spanBuilder("verify token").startSpan();
    try {
      String token = TokenVerifier.bearer(ctx.header("Authorization"));
      if (token == null) {
        throw new InvalidTokenException("no bearer token");
      }
      Principal principal = verifier.verifyAccess(token);
      span.setAttribute(USER_ID, principal.userId());
      Span.current().setAttribute(USER_ID, principal.userId());
      return principal;
    } catch (InvalidTokenException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw HttpError.unauthorized("a valid access token is required: " + e.getMessage());
    } finally {
      span.end();
    }
  }
}
