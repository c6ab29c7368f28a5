package dev.uat.router;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.ApiKeyFormat;
import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.web.HttpError;

/**
 * Who is calling: every {@code /v1} request carries {@code Authorization: Bearer <credential>},
 * either a platform access token or an API key ({@code uat_sk_…}), checked by the shared {@link
 * Credentials} — the one validator every component uses: token signatures locally, login sessions
 * and API keys with the api (answers believed {@link Credentials#RECHECK} at most, dropped at once
 * on a revocation signal). Both kinds must allow {@code chat}.
 *
 * <p>Answers: 401 for a missing, invalid, expired or revoked credential (the message says which),
 * 403 for one without the {@code chat} scope, 503 {@code auth_unavailable} when the api cannot be
 * asked now (nothing is cached then). Thread-safe; blocks only when {@link Credentials} asks the
 * api.
 */
final class Authenticator {
  static final String SCOPE = "chat";

  private final Credentials credentials;

  Authenticator(Credentials credentials) {
    this.credentials = requireNonNull(credentials, "credentials");
  }

  /**
   * The caller of a request.
   *
   * @throws HttpError 401 without valid credentials, 403 without the {@code chat} scope, 503 when
   *     the credential cannot be checked now
   */
  Caller authenticate(String authorization) {
    String credential = TokenVerifier.bearer(authorization);
    if (credential == null || credential.isBlank()) {
      throw HttpError.unauthorized(
          "send 'Authorization: Bearer <API key or access token>'; no credentials were given");
    }
    boolean key = ApiKeyFormat.looksLikeKey(credential);
    Principal p;
    try {
      p = credentials.authenticateCredential(credential);
    } catch (InvalidTokenException e) {
      throw HttpError.unauthorized(refusal(key, e));
    } catch (CredentialsUnavailableException e) {
      throw HttpError.unavailable(
          "auth_unavailable",
          "the "
              + (key ? "API key" : "access token")
              + " cannot be checked now: "
              + e.getMessage());
    }
    if (!p.has(SCOPE)) {
      throw HttpError.forbidden(
          "the " + (p.isApiKey() ? "API key" : "access token") + " does not allow 'chat'");
    }
    return new Caller(p.userId(), p.isApiKey() ? p.tokenId() : null);
  }

  private static String refusal(boolean key, InvalidTokenException e) {
    String what = key ? "API key" : "access token";
    return switch (e.reason()) {
      case EXPIRED -> "the " + what + " expired; " + (key ? "create a new key" : "refresh it");
      case REVOKED ->
          key
              ? "the API key was revoked"
              : "the access token's login session was ended (logout or password change);"
                  + " sign in again";
      case INVALID ->
          key
              ? "the API key is not valid (unknown or revoked)"
              : "the access token is not valid: " + e.getMessage();
    };
  }
}
