package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Who a verified credential speaks for.
 *
 * @param userId the account id ({@code sub})
 * @param scopes what the credential may do, e.g. {@code chat}, {@code admin}
 * @param tokenId the token's {@code jti}, or the API key's id
 * @param expiresAt when the credential stops being valid ({@link Instant#MAX} for API keys)
 * @param sessionId the login session an access token belongs to ({@code sid}), or null
 */
public record Principal(
    String userId, Set<String> scopes, String tokenId, Instant expiresAt, String sessionId) {
  public Principal {
    requireNonNull(userId, "userId");
    scopes = Set.copyOf(scopes);
    requireNonNull(tokenId, "tokenId");
    requireNonNull(expiresAt, "expiresAt");
  }

  /** A principal outside any login session. */
  public Principal(String userId, Set<String> scopes, String tokenId, Instant expiresAt) {
    this(userId, scopes, tokenId, expiresAt, null);
  }

  public boolean has(String scope) {
    return scopes.contains(scope);
  }

  /** The login session, when the credential is an access token issued for one. */
  public Optional<String> session() {
    return Optional.ofNullable(sessionId);
  }
}
